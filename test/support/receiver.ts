import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  path: string;
  at: number;
}

export type Answer = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number; hang?: boolean };

/**
 * A real HTTP receiver on 127.0.0.1. `answer` decides each response (by call number, 1-based);
 * every request is kept for assertions.
 */
export class Receiver {
  readonly received: Received[] = [];
  private server!: Server;
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  url = '';

  private constructor(private answer: (request: Received, call: number) => Answer) {}

  static async start(answer: (request: Received, call: number) => Answer = () => ({ status: 204 }), host = '127.0.0.1'): Promise<Receiver> {
    const receiver = new Receiver(answer);
    receiver.server = createServer((req, res) => receiver.handle(req, res));
    await new Promise<void>((resolve) => receiver.server.listen(0, host, resolve));
    const { port } = receiver.server.address() as AddressInfo;
    receiver.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return receiver;
  }

  setAnswer(answer: (request: Received, call: number) => Answer): void {
    this.answer = answer;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const request: Received = { headers: req.headers, body, path: req.url ?? '/', at: Date.now() };
      this.received.push(request);
      const answer = this.answer(request, this.received.length);
      this.waiters = this.waiters.filter((w) => (this.received.length >= w.count ? (w.resolve(), false) : true));
      if (answer.hang) return;
      const reply = () => {
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  }

  /** Resolves once `count` requests have arrived; fails after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 15_000): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`receiver got ${this.received.length} of ${count} requests`)), timeoutMs);
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** Requests other than the test event every new subscription gets. */
  events(): Received[] {
    return this.received.filter((r) => !r.body.includes('"webhook.test"'));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The `webhook.test` event every new subscription gets (its type is in the data too, for raw payloads). */
export const isTestEvent = (request: Received): boolean => request.body.includes('webhook.test');
