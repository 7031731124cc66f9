import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from 'node:worker_threads';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { SendAnswer, SendingThread as SendingThreadType } from '../../src/deliveries/dispatch/sending-thread.js';
import type { Signing } from '../../src/deliveries/dispatch/signer.js';

// The thread runs a built module (`node:worker_threads` cannot load TypeScript): the class under test is the build's.
const built = '../../dist/deliveries/dispatch/sending-thread.js';
const { SendingThread } = (await import(built)) as { SendingThread: typeof SendingThreadType };

/** A receiver on 127.0.0.1 that answers each request when told to (or after `delayMs`), and counts what it holds per path. */
class HoldingReceiver {
  readonly arrived: string[] = [];
  /** The headers each body arrived with. */
  readonly headers = new Map<string, IncomingHttpHeaders>();
  readonly mostAtOnce = new Map<string, number>();
  private readonly open = new Map<string, number>();
  private held: Array<() => void> = [];
  private server!: Server;
  url = '';

  constructor(private readonly delayMs: number | null) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const path = req.url ?? '/';
      this.arrived.push(`${path} ${body}`);
      this.headers.set(body, req.headers);
      const open = (this.open.get(path) ?? 0) + 1;
      this.open.set(path, open);
      this.mostAtOnce.set(path, Math.max(open, this.mostAtOnce.get(path) ?? 0));
      const answer = () => {
        this.open.set(path, this.open.get(path)! - 1);
        res.writeHead(204).end();
      };
      if (this.delayMs === null) this.held.push(answer);
      else setTimeout(answer, this.delayMs);
    });
  }

  async until(count: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (this.arrived.length < count) {
      if (Date.now() > deadline) throw new Error(`${count} requests expected, ${this.arrived.length} arrived`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  releaseAll(): void {
    const held = this.held;
    this.held = [];
    for (const answer of held) answer();
  }

  async close(): Promise<void> {
    this.releaseAll();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const OPTIONS = { allowedNetworks: ['127.0.0.1/32'], userAgent: 'hookledger/test' };
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const STANDARD: Signing = { scheme: 'standard', msgId: 'evt_01', secrets: [SECRET] };

describe('the sending thread', () => {
  const threads: SendingThreadType[] = [];
  const receivers: HoldingReceiver[] = [];
  const thread = (options = OPTIONS) => {
    const made = new SendingThread(options);
    threads.push(made);
    return made;
  };
  const receiver = async (delayMs: number | null) => {
    const made = await new HoldingReceiver(delayMs).start();
    receivers.push(made);
    return made;
  };
  const request = (url: string, concurrency: number, body: string, signing: Signing = STANDARD) => ({
    url,
    headers: { 'content-type': 'application/json', 'webhook-id': 'evt_01' },
    body,
    signing,
    timeoutMs: 5_000,
    concurrency,
  });
  const send = (sending: SendingThreadType, url: string, lane: string, concurrency: number, body: string, signing: Signing = STANDARD) =>
    sending.send(sending.reserve(lane), request(url, concurrency, body, signing));

  afterEach(async () => {
    for (const made of threads.splice(0)) await made.destroy();
    for (const made of receivers.splice(0)) await made.close();
  });

  it('holds no more of a lane at the receiver than its concurrency, sends the rest in order, and lanes do not share slots', async () => {
    const slow = await receiver(100);
    const sending = thread();
    const started = Date.now();
    const answers = await Promise.all([
      ...['1', '2', '3', '4', '5'].map((body) => send(sending, `${slow.url}/a`, 'a', 2, body)),
      ...['1', '2'].map((body) => send(sending, `${slow.url}/b`, 'b', 1, body)),
    ]);
    expect(answers.map((answer) => (answer.kind === 'response' ? answer.status : answer.kind))).toEqual([204, 204, 204, 204, 204, 204, 204]);
    expect(slow.mostAtOnce.get('/a')).toBe(2);
    expect(slow.mostAtOnce.get('/b')).toBe(1);
    // Two at a time, in rounds: the third and fourth go out only once the first two are answered, the
    // fifth after them. Two that go out together, on two connections, may reach the receiver in either order.
    const arrivedA = slow.arrived.filter((line) => line.startsWith('/a'));
    expect(new Set(arrivedA.slice(0, 2))).toEqual(new Set(['/a 1', '/a 2']));
    expect(new Set(arrivedA.slice(2, 4))).toEqual(new Set(['/a 3', '/a 4']));
    expect(arrivedA[4]).toBe('/a 5');
    // Each answer says when its request went out: lane a's in the order of their places, the fifth two rounds after the first.
    const times = answers.map((answer) => (answer.kind === 'withdrawn' ? 0 : answer.startedAt));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(started);
    const laneA = times.slice(0, 5);
    expect(laneA).toEqual([...laneA].sort((x, y) => x - y));
    expect(times[4]! - times[0]!).toBeGreaterThanOrEqual(190);
  });

  it('hands a lane\'s requests over in the order their places were taken, whatever order they were built in; a place given up holds nothing back', async () => {
    const slow = await receiver(50);
    const sending = thread();
    const [first, given, second, third] = ['first', 'given up', 'second', 'third'].map(() => sending.reserve('a'));
    const answers = [sending.send(third!, request(slow.url, 1, 'third')), sending.send(second!, request(slow.url, 1, 'second'))];
    sending.abandon(given!);
    answers.push(sending.send(first!, request(slow.url, 1, 'first')));
    expect((await Promise.all(answers)).map((answer) => answer.kind)).toEqual(['response', 'response', 'response']);
    expect(slow.arrived).toEqual(['/ first', '/ second', '/ third']);
  });

  it('withdraws the requests of a lane that are not at the receiver yet: they are answered `withdrawn` and never sent', async () => {
    const holding = await receiver(null);
    const sending = thread();
    const first = send(sending, holding.url, 'a', 1, 'first');
    const queued = [send(sending, holding.url, 'a', 1, 'second'), send(sending, holding.url, 'a', 1, 'third')];
    const otherLane = send(sending, holding.url, 'b', 1, 'other');
    await holding.until(2);
    sending.withdraw('a');
    expect(await Promise.all(queued)).toEqual([{ kind: 'withdrawn' }, { kind: 'withdrawn' }]);
    holding.releaseAll();
    expect((await first).kind).toBe('response');
    expect((await otherLane).kind).toBe('response');
    // The lane's queue is first in, first out: had the withdrawn two still been in it, they would go out before this one.
    const after = send(sending, holding.url, 'a', 1, 'after');
    await holding.until(3);
    holding.releaseAll();
    expect((await after).kind).toBe('response');
    expect(holding.arrived.map((line) => line.split(' ')[1]).sort()).toEqual(['after', 'first', 'other']);
  });

  it('signs each request as it goes out: one that waited behind its lane carries the second it was sent, and its answer says what was signed', async () => {
    const slow = await receiver(1_100);
    const sending = thread();
    const bodies = ['{"n":1}', '{"n":2}'];
    const answers = await Promise.all(bodies.map((body) => send(sending, slow.url, 'a', 1, body)));
    const webhook = new Webhook(SECRET);
    const stamps = bodies.map((body, i) => {
      const headers = slow.headers.get(body)!;
      const answer = answers[i]!;
      if (answer.kind === 'withdrawn') throw new Error('sent, not withdrawn');
      expect(webhook.verify(body, headers as Record<string, string>)).toEqual(JSON.parse(body));
      expect(answer.signed).toEqual({ timestampSec: Number(headers['webhook-timestamp']), signature: headers['webhook-signature'] });
      expect(answer.signed.timestampSec).toBe(Math.floor(answer.startedAt / 1000));
      return answer.signed.timestampSec;
    });
    // The second queued for the first's 1.1 s at the receiver: signed a second or more later, not when it was handed over.
    expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(1);
  });

  it('signs with the hex scheme in the header the subscription names', async () => {
    const fresh = await receiver(0);
    const sending = thread();
    const answer = await send(sending, fresh.url, 'a', 1, '{"n":1}', { scheme: 'hmac-sha256-hex', header: 'x-signature', secret: SECRET });
    const expected = createHmac('sha256', Buffer.from(SECRET.slice('whsec_'.length), 'base64')).update('{"n":1}').digest('hex');
    expect(fresh.headers.get('{"n":1}')!['x-signature']).toBe(expected);
    expect(fresh.headers.get('{"n":1}')!['webhook-signature']).toBeUndefined();
    expect(answer.kind !== 'withdrawn' && answer.signed.signature).toBe(expected);
  });

  it('answers what it held `withdrawn` when the thread stops, and a new thread takes the next request', async () => {
    const holding = await receiver(null);
    const sending = thread();
    const lost = send(sending, holding.url, 'a', 1, 'lost');
    await holding.until(1);
    await (sending as unknown as { worker: Worker }).worker.terminate();
    expect(await lost).toEqual<SendAnswer>({ kind: 'withdrawn' });
    const fresh = await receiver(0);
    const answer = await send(sending, fresh.url, 'a', 1, 'next');
    expect(answer.kind === 'response' && answer.status).toBe(204);
  });

  it('answers `withdrawn` for a request whose place was taken before it was destroyed, and sends nothing more', async () => {
    const fresh = await receiver(0);
    const sending = thread();
    const place = sending.reserve('a');
    await sending.destroy();
    expect(await sending.send(place, request(fresh.url, 1, 'late'))).toEqual({ kind: 'withdrawn' });
    expect(await send(sending, fresh.url, 'a', 1, 'after')).toEqual({ kind: 'withdrawn' });
    expect(fresh.arrived).toEqual([]);
  });
});
