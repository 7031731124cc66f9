import { parentPort, workerData } from 'node:worker_threads';
import { HttpSender } from './http-sender.js';
import { type QueuedSend, type SendAnswer, type ThreadRequest, WITHDRAWN } from './sending-thread.js';
import { signatureFor } from './signer.js';

/** The sending thread's program (see `SendingThread`): per lane, a queue and the requests at the receiver. */
interface Lane {
  running: number;
  concurrency: number;
  queue: QueuedSend[];
}

const { allowedNetworks, userAgent } = workerData as { allowedNetworks: string[]; userAgent: string };
const sender = new HttpSender({ allowedNetworks, userAgent });
const lanes = new Map<string, Lane>();
let answers: Array<[number, SendAnswer]> = [];
let answering = false;

function answer(seq: number, outcome: SendAnswer): void {
  answers.push([seq, outcome]);
  if (answering) return;
  answering = true;
  setImmediate(() => {
    answering = false;
    const batch = answers;
    answers = [];
    parentPort!.postMessage(batch);
  });
}

function pump(id: string): void {
  const lane = lanes.get(id);
  if (!lane) return;
  while (lane.running < lane.concurrency && lane.queue.length > 0) {
    const item = lane.queue.shift()!;
    const startedAt = Date.now();
    const timestampSec = Math.floor(startedAt / 1000);
    const { request } = item;
    const signature = signatureFor(item.signing, timestampSec, request.body);
    const headers = { ...request.headers, 'webhook-timestamp': String(timestampSec), [signature.header]: signature.value };
    lane.running++;
    void sender.send({ url: request.url, headers, body: request.body, timeoutMs: request.timeoutMs }).then((result) => {
      lane.running--;
      answer(item.seq, { ...result, startedAt, signed: { timestampSec, signature: signature.value } });
      pump(id);
    });
  }
  if (lane.running === 0 && lane.queue.length === 0) lanes.delete(id);
}

function withdraw(id: string | null): void {
  for (const [laneId, lane] of lanes) {
    if (id !== null && laneId !== id) continue;
    for (const item of lane.queue) answer(item.seq, WITHDRAWN);
    lane.queue = [];
    if (lane.running === 0) lanes.delete(laneId);
  }
}

parentPort!.on('message', (request: ThreadRequest) => {
  if (request.kind === 'withdraw') return withdraw(request.lane);
  const touched = new Set<string>();
  for (const item of request.items) {
    let lane = lanes.get(item.lane);
    if (!lane) lanes.set(item.lane, (lane = { running: 0, concurrency: item.concurrency, queue: [] }));
    lane.concurrency = item.concurrency;
    lane.queue.push(item);
    touched.add(item.lane);
  }
  for (const id of touched) pump(id);
});
