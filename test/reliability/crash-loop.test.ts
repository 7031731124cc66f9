import { afterAll, describe, expect, it } from 'vitest';
import { Behaviour, ChaosReceiver, seededRandom } from '../support/chaos-receiver.js';
import { LedgerRow, readLedger } from '../support/ledger-file.js';
import { eventually } from '../support/receiver.js';
import { createTenant, Service } from '../support/service.js';

const CRASHES = 6;
const WRITERS = 4;
/** Long enough that a delivery failing 20 % of its attempts at random cannot run out (0.2^20). */
const SCHEDULE = ['0s', '20ms', '50ms', '100ms', '150ms', '200ms', ...Array<string>(14).fill('250ms')];
const SEED = Number(process.env.CRASH_LOOP_SEED ?? Date.now() % 1_000_000);

/** Which subscriptions each event type fans out to: the expectation every EventCreated is checked against. */
const ROUTES: Record<string, string[]> = { 'order.created': ['orders', 'everything'], 'order.paid': ['orders', 'everything'], 'invoice.sent': ['everything'] };
const EVENT_TYPES = Object.keys(ROUTES);

interface Delivery {
  id: string;
  eventId: string;
  subscription: string;
}

describe('crash loop: kill -9 at random moments under load, with receivers failing at random', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('loses no accepted event, finishes every delivery, and duplicates only what was in flight at a crash', async () => {
    const random = seededRandom(SEED);
    // 80 % answered 200; the rest fail in the three ways a receiver fails.
    const chaos = (): Behaviour => {
      const r = random();
      return r < 0.1 ? 'error' : r < 0.14 ? 'hang' : r < 0.2 ? 'reset' : 'ok';
    };
    const receivers = { orders: await ChaosReceiver.start(chaos), everything: await ChaosReceiver.start(chaos) };
    cleanup.push(() => receivers.orders.close(), () => receivers.everything.close());

    const service = await Service.start();
    cleanup.push(() => service.dispose());
    const tenant = await createTenant(service);
    const admin = service.api(tenant.keys.admin.key);
    const subscriptionIds: Record<string, string> = {};
    for (const [name, eventTypes] of [['orders', ['order.*']], ['everything', ['*']]] as const) {
      const created = await admin.post('/v1/subscriptions', { url: receivers[name].url, eventTypes, timeoutMs: 1000, retryPolicy: { schedule: SCHEDULE } });
      expect(created.status).toBe(201);
      subscriptionIds[name] = created.body.id;
    }
    const subscriptionName = new Map(Object.entries(subscriptionIds).map(([name, id]) => [id, name]));

    // Publishers: each event id is sent until it gets a 202, across crashes (the id makes a resend idempotent).
    const publisher = service.api(tenant.keys.publisher.key);
    const accepted = new Map<string, string>();
    let next = 0;
    let publishing = true;
    const writer = async () => {
      while (publishing) {
        const n = next++;
        const id = `cl-${n}`;
        const type = EVENT_TYPES[n % EVENT_TYPES.length]!;
        while (publishing || !accepted.has(id)) {
          const response = await publisher.post('/v1/events', { id, type, data: { n } }).catch(() => null);
          if (response?.status === 202) {
            accepted.set(id, type);
            break;
          }
          if (response && response.status !== 503) throw new Error(`publish ${id}: ${response.status} ${JSON.stringify(response.body)}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        // Roughly 100 events a second in all: enough to keep attempts in flight at every crash.
        await new Promise((r) => setTimeout(r, WRITERS * 10));
      }
    };
    const writers = Array.from({ length: WRITERS }, writer);

    // After each crash, per delivery: requests its receiver has read beyond the attempts the ledger holds.
    const unrecordedAfter: Array<Map<string, number>> = [];
    for (let c = 0; c < CRASHES; c++) {
      await new Promise((r) => setTimeout(r, 1500 + random() * 3500));
      await service.crash();
      // Whatever the dead process had already written is on the wire; let it land before counting.
      await new Promise((r) => setTimeout(r, 200));
      unrecordedAfter.push(unrecordedAttempts(readLedger(service.dataDir), receivers, subscriptionName));
      await service.restart();
    }
    await new Promise((r) => setTimeout(r, 2000));
    publishing = false;
    await Promise.all(writers);

    // Every accepted event is in the ledger, once, with the fan-out its type asks for.
    const fanOut = (rows: LedgerRow[]) => {
      const created = new Map<string, Delivery[]>();
      for (const row of rows) {
        if (row.type !== 'EventCreated') continue;
        const data = JSON.parse(row.data) as { eventId: string; deliveries: Array<{ deliveryId: string; subscriptionId: string }> };
        if (!accepted.has(data.eventId)) continue;
        expect(created.has(data.eventId), `${data.eventId} created twice`).toBe(false);
        created.set(data.eventId, data.deliveries.map((d) => ({ id: d.deliveryId, eventId: data.eventId, subscription: subscriptionName.get(d.subscriptionId)! })));
      }
      return created;
    };
    const created = fanOut(readLedger(service.dataDir));
    const lost = [...accepted.keys()].filter((id) => !created.has(id));
    expect(lost).toEqual([]);
    for (const [id, deliveries] of created) expect(deliveries.map((d) => d.subscription).sort(), id).toEqual([...ROUTES[accepted.get(id)!]!].sort());
    const deliveries = [...created.values()].flat();

    // Every delivery ends DeliverySucceeded, through a well-formed history.
    const streams = await eventually(
      () => {
        const byStream = groupByStream(readLedger(service.dataDir));
        return deliveries.every((d) => byStream.get(`delivery-${d.id}`)?.at(-1)?.type === 'DeliverySucceeded') ? byStream : undefined;
      },
      60_000,
      'every delivery to succeed',
    );
    for (const delivery of deliveries) expectWellFormedSuccess(streams.get(`delivery-${delivery.id}`)!, delivery.id);

    // The receivers saw every delivery; the extra successes are bounded by the attempts in flight at the crashes.
    // Unrecorded attempts never get recorded later, so the count after the last crash covers every crash.
    const inFlightAtCrashes = unrecordedAfter.at(-1)!;
    let duplicates = 0;
    for (const delivery of deliveries) {
      const hits = receivers[delivery.subscription as keyof typeof receivers].hits.filter((h) => h.webhookId === delivery.eventId);
      const successes = hits.filter((h) => h.behaviour === 'ok').length;
      expect(successes, `${delivery.id} was never answered 200`).toBeGreaterThanOrEqual(1);
      const extra = successes - 1;
      const inFlight = inFlightAtCrashes.get(delivery.id) ?? 0;
      expect(extra, `${delivery.id}: ${extra} duplicate successes, ${inFlight} attempts in flight at crashes`).toBeLessThanOrEqual(inFlight);
      duplicates += extra;
    }
    const perCrash = unrecordedAfter.map((after, c) => total(after) - (c === 0 ? 0 : total(unrecordedAfter[c - 1]!)));
    const delivered = [...created.values()].filter((ds) => ds.every((d) => streams.get(`delivery-${d.id}`)?.at(-1)?.type === 'DeliverySucceeded')).length;
    console.log(
      `crash-loop: ${accepted.size} accepted, ${delivered} delivered, ${lost.length} lost, ${duplicates} duplicates over ${unrecordedAfter.length} crashes` +
        ` (${deliveries.length} deliveries; attempts in flight at each crash: ${perCrash.join(', ')}; seed ${SEED})`,
    );
    expect(unrecordedAfter.length).toBeGreaterThanOrEqual(5);
    expect(delivered).toBe(accepted.size);
  });
});

const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

/**
 * Right after a kill -9, per delivery: requests its receiver has read beyond the attempts the
 * ledger recorded. Those were in flight at a crash: the only attempts a receiver may see again.
 */
function unrecordedAttempts(rows: LedgerRow[], receivers: Record<string, ChaosReceiver>, subscriptionName: Map<string, string>): Map<string, number> {
  const recorded = new Map<string, number>();
  const deliveryOf = new Map<string, string>();
  for (const row of rows) {
    if (row.type === 'EventCreated') {
      const data = JSON.parse(row.data) as { eventId: string; deliveries: Array<{ deliveryId: string; subscriptionId: string }> };
      for (const d of data.deliveries) deliveryOf.set(`${subscriptionName.get(d.subscriptionId)}/${data.eventId}`, d.deliveryId);
    }
    if (row.type === 'AttemptMade') recorded.set(row.stream.slice('delivery-'.length), (recorded.get(row.stream.slice('delivery-'.length)) ?? 0) + 1);
  }
  const unrecorded = new Map<string, number>();
  for (const [name, receiver] of Object.entries(receivers)) {
    for (const [webhookId, seen] of receiver.counts()) {
      const deliveryId = deliveryOf.get(`${name}/${webhookId}`);
      if (deliveryId === undefined) continue;
      const missing = seen - (recorded.get(deliveryId) ?? 0);
      if (missing > 0) unrecorded.set(deliveryId, missing);
    }
  }
  return unrecorded;
}

function groupByStream(rows: LedgerRow[]): Map<string, LedgerRow[]> {
  const streams = new Map<string, LedgerRow[]>();
  for (const row of rows) {
    if (!row.stream.startsWith('delivery-')) continue;
    const stream = streams.get(row.stream) ?? [];
    stream.push(row);
    streams.set(row.stream, stream);
  }
  return streams;
}

/** Attempts numbered 1…n, each recorded with the state it led to: retries after failures, then one success. */
function expectWellFormedSuccess(rows: LedgerRow[], id: string): void {
  const events = rows.map((row) => ({ type: row.type, data: JSON.parse(row.data) as Record<string, any> }));
  expect(events.length % 2, `${id}: ${events.map((e) => e.type).join(',')}`).toBe(0);
  for (let i = 0; i < events.length; i += 2) {
    const attempt = events[i]!;
    const next = events[i + 1]!;
    const last = i === events.length - 2;
    expect(attempt.type, id).toBe('AttemptMade');
    expect(attempt.data.attempt, id).toBe(i / 2 + 1);
    expect(attempt.data.trigger, id).toBe(i === 0 ? 'initial' : 'retry');
    expect(attempt.data.outcome, id).toBe(last ? 'succeeded' : 'retryable');
    expect(next.type, id).toBe(last ? 'DeliverySucceeded' : 'RetryScheduled');
  }
  expect(events.length / 2, id).toBeLessThanOrEqual(SCHEDULE.length);
}
