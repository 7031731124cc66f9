import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** `error`: 500; `hang`: never answers (the sender's timeout ends it); `reset`: TCP RST after reading the request. */
export type Behaviour = 'ok' | 'error' | 'hang' | 'reset';

export interface Hit {
  webhookId: string;
  behaviour: Behaviour;
}

/**
 * A real HTTP receiver on 127.0.0.1 that misbehaves as `choose` says, per request. Every
 * webhook it reads is kept with what it did about it; test events (`webhook.test`) are always
 * answered 200 and not kept.
 */
export class ChaosReceiver {
  readonly hits: Hit[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private server!: Server;
  url = '';

  private constructor(private readonly choose: (webhookId: string) => Behaviour) {}

  static async start(choose: (webhookId: string) => Behaviour): Promise<ChaosReceiver> {
    const receiver = new ChaosReceiver(choose);
    receiver.server = createServer((req, res) => receiver.handle(req, res));
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/`;
    return receiver;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const type = (JSON.parse(body) as { type: string }).type;
      if (type === 'webhook.test') return void res.writeHead(200).end();
      const webhookId = String(req.headers['webhook-id']);
      const behaviour = this.choose(webhookId);
      this.hits.push({ webhookId, behaviour });
      if (behaviour === 'ok') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      else if (behaviour === 'error') res.writeHead(500).end('chaos');
      else if (behaviour === 'reset') (req.socket as Socket).resetAndDestroy();
      else {
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
      }
    });
  }

  /** Requests read so far, per webhook id. */
  counts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const hit of this.hits) counts.set(hit.webhookId, (counts.get(hit.webhookId) ?? 0) + 1);
    return counts;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** mulberry32: a small seeded generator, so a failing chaos run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
