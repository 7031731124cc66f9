import { createServer, Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';

/**
 * HTTP listeners on one port number at several loopback addresses (127.0.0.1, 127.0.0.2, ::1, …),
 * so that however a URL spells its host, a connection that got through lands on one of them and
 * is counted. Each answers 204 and closes the connection, so every request needs a new connection
 * (and a new look at its address).
 */
export class Tripwires {
  private readonly connections = new Map<string, number>();
  private readonly requests = new Map<string, string[]>();

  private constructor(
    readonly port: number,
    private readonly servers: Server[],
  ) {}

  static async start(hosts: string[]): Promise<Tripwires> {
    for (let tries = 0; tries < 20; tries++) {
      const port = await freePort();
      const wires = new Tripwires(port, []);
      try {
        for (const host of hosts) wires.servers.push(await wires.listen(host));
        return wires;
      } catch {
        await wires.close();
      }
    }
    throw new Error(`no port free on all of ${hosts.join(', ')}`);
  }

  private listen(host: string): Promise<Server> {
    this.connections.set(host, 0);
    this.requests.set(host, []);
    const server = createServer((req, res) => {
      this.requests.get(host)!.push(req.url ?? '/');
      req.resume();
      res.writeHead(204, { connection: 'close' }).end();
    });
    server.on('connection', () => this.connections.set(host, this.connections.get(host)! + 1));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, host, () => resolve(server));
    });
  }

  /** TCP connections accepted at `host`. */
  connectionsAt(host: string): number {
    return this.connections.get(host) ?? 0;
  }

  /** Paths requested at `host`. */
  pathsAt(host: string): string[] {
    return this.requests.get(host) ?? [];
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map((server) => {
        server.closeAllConnections();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      }),
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createTcpServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
