import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * How a hostile receiver treats every request, at the TCP level:
 * - `slow-headers`: a status line, then one header byte every 100 ms, forever (slow loris);
 * - `giant-body`: a 500 announcing an 8 GiB body and streaming it as fast as the sender reads;
 * - `never-answers`: reads the request and keeps the connection open without a byte;
 * - `stalled-body`: a 502 announcing 100 000 bytes, sends ten, then nothing;
 * - `not-http`: an SSH banner instead of HTTP;
 * - `bad-header`: a status line followed by a header line without a colon;
 * - `reset`: a TCP RST as soon as the request arrives.
 */
export type Hostility = 'slow-headers' | 'giant-body' | 'never-answers' | 'stalled-body' | 'not-http' | 'bad-header' | 'reset';

const GIANT = 8 * 1024 ** 3;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

export class HostileReceiver {
  /** Requests seen (one per connection: nothing here keeps a connection usable). */
  connections = 0;
  /** Bytes of response body pushed to the sender. */
  bytesSent = 0;
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  url = '';

  private constructor(readonly hostility: Hostility) {}

  static async start(hostility: Hostility): Promise<HostileReceiver> {
    const receiver = new HostileReceiver(hostility);
    receiver.server = createServer((socket) => receiver.accept(socket));
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/`;
    return receiver;
  }

  /** Connections the sender has not closed yet. */
  get open(): number {
    return this.sockets.size;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      // Keep reading (and dropping) whatever else comes, so the sender is never the one blocked.
      socket.resume();
      this.connections++;
      this.misbehave(socket);
    };
    socket.on('data', onData);
  }

  private misbehave(socket: Socket): void {
    switch (this.hostility) {
      case 'slow-headers':
        return this.trickle(socket, 'HTTP/1.1 200 OK\r\nX-Slow: ', 'a');
      case 'giant-body':
        socket.write(`HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/octet-stream\r\nContent-Length: ${GIANT}\r\n\r\n`);
        return this.flood(socket);
      case 'never-answers':
        return;
      case 'stalled-body':
        socket.write('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 100000\r\n\r\n0123456789');
        return;
      case 'not-http':
        socket.end('SSH-2.0-OpenSSH_9.6\r\n');
        return;
      case 'bad-header':
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nThis line has no colon\r\n\r\nok');
        return;
      case 'reset':
        socket.resetAndDestroy();
        return;
    }
  }

  private trickle(socket: Socket, start: string, byte: string): void {
    socket.write(start);
    const timer = setInterval(() => socket.write(byte), 100);
    socket.on('close', () => clearInterval(timer));
  }

  /** Writes as fast as the sender drains, never more than the socket buffers: a streamed body, not an allocated one. */
  private flood(socket: Socket): void {
    const pump = () => {
      while (!socket.destroyed && this.bytesSent < GIANT) {
        this.bytesSent += CHUNK.length;
        if (!socket.write(CHUNK)) return void socket.once('drain', pump);
      }
    };
    pump();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
