import { Worker } from 'node:worker_threads';
import type { HttpSenderOptions, SendRequest, SendResult } from './http-sender.js';
import type { Signing } from './signer.js';
import type { Signed } from './webhook-request.js';

/**
 * One attempt's request, unsigned, with how to sign it as it goes out, and the most requests of its
 * lane the thread may have at the receiver at once.
 */
export interface LaneSend extends SendRequest {
  signing: Signing;
  concurrency: number;
}

/** A request's place in its lane (subscription), taken before the request is built. */
export interface LanePlace {
  lane: string;
  order: number;
}

/** Per lane, the places taken and the requests that wait for one before them to be handed over. */
interface LaneOrder {
  taken: number;
  next: number;
  /** By order: a request ready to go, or null for a place given up. */
  ready: Map<number, QueuedSend | null>;
}

/**
 * What became of a request handed to the thread: the receiver's answer (or the transport's error)
 * with the time it was actually sent and what it was signed with then, or `withdrawn` — it was
 * never sent (its lane was withdrawn, or the thread stopped) and nothing is to be recorded for it.
 */
export type SendAnswer = (SendResult & { startedAt: number; signed: Signed }) | { kind: 'withdrawn' };

export const WITHDRAWN: SendAnswer = { kind: 'withdrawn' };

export interface QueuedSend {
  seq: number;
  lane: string;
  concurrency: number;
  request: SendRequest;
  signing: Signing;
}

export type ThreadRequest = { kind: 'send'; items: QueuedSend[] } | { kind: 'withdraw'; lane: string | null };

export type SendingThreadOptions = Pick<HttpSenderOptions, 'allowedNetworks' | 'userAgent'>;

/**
 * The attempts' HTTP exchanges run on a thread of their own, which keeps each lane's requests at the
 * receiver: it holds more of them than the lane's concurrency and starts the next the moment one is
 * answered, without waiting for the main thread to take the answer and hand over another (a turn of
 * a busy event loop per attempt, during which the receiver's connection would sit idle). The main
 * thread builds each request and records each answer; the thread signs each as it sends it, so the
 * timestamp signed is when it went out however long it queued, and the HMACs are off the main
 * thread. Requests and answers cross in batches, one message per turn each way.
 */
export class SendingThread {
  private worker: Worker | null = null;
  private seq = 0;
  private readonly waiting = new Map<number, (answer: SendAnswer) => void>();
  private outbox: QueuedSend[] = [];
  private posting = false;
  private readonly lanes = new Map<string, LaneOrder>();
  private destroyed = false;

  constructor(private readonly options: SendingThreadOptions) {}

  /**
   * Takes the lane's next place. A lane's requests go to the thread in the order of their places,
   * whatever order they are built in; each place is used once, by `send` or `abandon`.
   */
  reserve(lane: string): LanePlace {
    let order = this.lanes.get(lane);
    if (!order) this.lanes.set(lane, (order = { taken: 0, next: 0, ready: new Map() }));
    return { lane, order: order.taken++ };
  }

  send(place: LanePlace, request: LaneSend): Promise<SendAnswer> {
    return new Promise((resolve) => {
      const seq = ++this.seq;
      this.waiting.set(seq, resolve);
      const { url, headers, body, timeoutMs, signing } = request;
      this.fill(place, { seq, lane: place.lane, concurrency: request.concurrency, request: { url, headers, body, timeoutMs }, signing });
    });
  }

  /** The place's request will not be built (it failed before): the lane's next ones do not wait for it. */
  abandon(place: LanePlace): void {
    this.fill(place, null);
  }

  /** Requests of this lane (every lane: null) that are not at the receiver yet are answered `withdrawn`, and never sent. */
  withdraw(lane: string | null): void {
    const kept: QueuedSend[] = [];
    for (const item of this.outbox) {
      if (lane === null || item.lane === lane) this.answer(item.seq, WITHDRAWN);
      else kept.push(item);
    }
    this.outbox = kept;
    for (const [id, order] of this.lanes) {
      if (lane !== null && id !== lane) continue;
      for (const [n, item] of order.ready) {
        if (item) this.answer(item.seq, WITHDRAWN);
        order.ready.set(n, null);
      }
    }
    this.worker?.postMessage({ kind: 'withdraw', lane } satisfies ThreadRequest);
  }

  private fill(place: LanePlace, item: QueuedSend | null): void {
    const order = this.lanes.get(place.lane);
    // Its place went with `destroy` (a build that ended after shutdown): it is not sent, and its caller is answered.
    if (!order || this.destroyed) {
      if (item) this.answer(item.seq, WITHDRAWN);
      return;
    }
    order.ready.set(place.order, item);
    while (order.ready.has(order.next)) {
      const ready = order.ready.get(order.next)!;
      order.ready.delete(order.next++);
      if (ready) this.outbox.push(ready);
    }
    if (order.next === order.taken) this.lanes.delete(place.lane);
    if (this.outbox.length === 0 || this.posting) return;
    this.posting = true;
    setImmediate(() => this.postOutbox());
  }

  async destroy(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.destroyed = true;
    this.withdrawAll();
    this.lanes.clear();
    if (worker) await worker.terminate();
  }

  private postOutbox(): void {
    this.posting = false;
    if (this.outbox.length === 0) return;
    const items = this.outbox;
    this.outbox = [];
    const worker = this.worker ?? this.start();
    worker.ref();
    worker.postMessage({ kind: 'send', items } satisfies ThreadRequest);
  }

  private start(): Worker {
    const { allowedNetworks, userAgent } = this.options;
    const worker = new Worker(new URL('./sending-thread.worker.js', import.meta.url), {
      workerData: { allowedNetworks, userAgent },
      // What it holds lives for one exchange: a small young generation keeps the thread's footprint down.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    });
    worker.on('message', (answers: Array<[number, SendAnswer]>) => {
      for (const [seq, answer] of answers) this.answer(seq, answer);
    });
    // The thread is gone: what it held was sent or not, nothing says which, and nothing of it was
    // recorded; each is answered `withdrawn` and attempted again (at least once), on a new thread.
    const stopped = () => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.withdrawAll();
    };
    worker.on('error', stopped);
    worker.on('exit', stopped);
    this.worker = worker;
    return worker;
  }

  private withdrawAll(): void {
    for (const seq of [...this.waiting.keys()]) this.answer(seq, WITHDRAWN);
    this.outbox = [];
  }

  private answer(seq: number, answer: SendAnswer): void {
    const resolve = this.waiting.get(seq);
    if (!resolve) return;
    this.waiting.delete(seq);
    if (this.waiting.size === 0) this.worker?.unref();
    resolve(answer);
  }
}
