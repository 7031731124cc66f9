import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../config/config.js';
import type { StoredEvent } from '../../event-store/event-store.port.js';
import { openReadModelDatabase } from '../../event-store/read-model.database.js';
import type { EventCreated } from '../../events/domain/event.events.js';
import type { ProjectionRunner } from '../../projections/projection-runner.js';
import type { SubscriptionConfig } from '../../subscriptions/domain/subscription.events.js';
import type { SubscriptionStore } from '../../subscriptions/subscription-store.js';
import type { SubscriptionRow, SubscriptionsProjection } from '../../subscriptions/subscription-view/subscriptions.projection.js';
import { DeliveriesProjection, type DeliveryRow } from '../delivery-log/deliveries.projection.js';
import type { AttemptRecord, DeliveryEvent } from '../domain/delivery.events.js';
import type { AttemptRunner } from './attempt-runner.js';
import { DeliveryScheduler } from './delivery-scheduler.js';

const AT = '2030-01-01T00:00:00.000Z';
/** Publish times well in the past: every delivery is due at once. */
const T0 = Date.now() - 600_000;

/**
 * The scheduler on the real deliveries view (an in-memory read model) fed as the projection runner
 * feeds it: each batch applied, then the scheduler told. The attempts are stand-ins that record
 * which delivery was started and answer at once, appending its attempt and success to the view.
 */
/** `retryOnce`: deliveries whose first attempt fails and is retried at the given time (ms). */
function harness(retryOnce: Map<string, number> = new Map()) {
  const { db } = openReadModelDatabase(':memory:');
  db.exec('CREATE TABLE subscriptions (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, status TEXT NOT NULL)');
  db.prepare("INSERT INTO subscriptions VALUES ('sub_1', 'ten_1', 'active')").run();
  const deliveries = new DeliveriesProjection(db, {} as ProjectionRunner);
  deliveries.migrate(db);

  const listeners: Array<(batch: StoredEvent[]) => void> = [];
  const runner = {
    checkpoint: -1n,
    onApplied: (listener: (batch: StoredEvent[]) => void) => listeners.push(listener),
    whenCaughtUp: () => Promise.resolve(),
    waitFor: () => Promise.resolve(),
  };
  let position = 0n;
  const apply = (events: Array<Pick<StoredEvent, 'streamName' | 'revision' | 'type' | 'data'>>): bigint => {
    const batch: StoredEvent[] = events.map((e) => ({ ...e, id: `id-${(position += 1n)}`, position, metadata: { occurredAt: AT } }));
    deliveries.beginBatch();
    for (const stored of batch) deliveries.apply(db, stored);
    deliveries.endBatch(db);
    runner.checkpoint = position;
    for (const listener of listeners) listener(batch);
    return position;
  };
  /** One event with one delivery to sub_1, published at `createdAt` (ms). */
  const publish = (n: string, createdAt: number) => {
    const data: EventCreated['data'] = {
      eventId: `evt_${n}`,
      tenantId: 'ten_1',
      type: 'order.paid',
      data: { n },
      idempotencyKey: null,
      orderingKey: null,
      createdAt: new Date(createdAt).toISOString(),
      deliveries: [{ deliveryId: `dlv_${n}`, subscriptionId: 'sub_1', ordered: false }],
      test: false,
    };
    return { streamName: `event-ten_1.evt_${n}`, revision: 0n, type: 'EventCreated', data: data as unknown as Record<string, unknown> };
  };

  const subscription: SubscriptionRow = {
    id: 'sub_1',
    tenantId: 'ten_1',
    status: 'active',
    disabledReason: null,
    config: { maxConcurrency: 2, rateLimitPerSecond: null, ordering: 'none' } as SubscriptionConfig,
    createdAt: AT,
    updatedAt: AT,
  };
  const started: string[] = [];
  let recorded = 0;
  const attempts = {
    async run(delivery: DeliveryRow, _subscription: SubscriptionRow, onSent: (answer: unknown) => void) {
      started.push(delivery.id);
      const retryAt = delivery.state.attempts === 0 ? retryOnce.get(delivery.id) : undefined;
      const status = retryAt === undefined ? 204 : 503;
      await new Promise((resolve) => setImmediate(resolve));
      onSent({ kind: 'response', status, headers: {}, body: '', durationMs: 1, startedAt: Date.now() });
      const ids = { deliveryId: delivery.id, eventId: delivery.eventId, subscriptionId: delivery.subscriptionId, tenantId: delivery.tenantId };
      const attempt = delivery.state.attempts + 1;
      const record: AttemptRecord = {
        attempt,
        trigger: delivery.trigger,
        startedAt: AT,
        request: { url: 'http://127.0.0.1/hook', headers: {}, signature: 'v1,x', secretIds: ['sec_1'], bodyBytes: 2, bodySha256: 'ab' },
        response: { status, headers: {}, body: '' },
        error: null,
        durationMs: 1,
        outcome: retryAt === undefined ? 'succeeded' : 'retryable',
      };
      const events: DeliveryEvent[] = [
        { type: 'AttemptMade', data: { ...ids, ...record } },
        retryAt === undefined
          ? { type: 'DeliverySucceeded', data: { ...ids, attempts: attempt, succeededAt: AT, afterFailures: attempt > 1 } }
          : { type: 'RetryScheduled', data: { ...ids, attempt, dueAt: new Date(retryAt).toISOString() } },
      ];
      const stream = `delivery-${delivery.id}`;
      const from = delivery.revision + 1;
      const at = apply(events.map((e, i) => ({ streamName: stream, revision: BigInt(from + i), type: e.type, data: e.data as unknown as Record<string, unknown> })));
      recorded++;
      return { events, position: at };
    },
    withdraw: () => undefined,
    cancel: () => Promise.resolve({ events: [], position: null }),
  };

  /** Every row the scheduler read from the view, by delivery id. */
  const reads = new Map<string, number>();
  const count = (rows: DeliveryRow[]) => {
    for (const row of rows) reads.set(row.id, (reads.get(row.id) ?? 0) + 1);
    return rows;
  };
  const dueFor = deliveries.dueFor.bind(deliveries);
  const dueAfter = deliveries.dueAfter.bind(deliveries);
  deliveries.dueFor = (...args) => count(dueFor(...args));
  deliveries.dueAfter = (...args) => count(dueAfter(...args));

  const config = { roles: ['worker'], maxInFlight: 256, disableFailingAfterMs: 86_400_000, shutdownGraceMs: 1000 } as unknown as Config;
  const scheduler = new DeliveryScheduler(
    config,
    runner as unknown as ProjectionRunner,
    deliveries,
    { find: (id: string) => (id === subscription.id ? subscription : undefined) } as unknown as SubscriptionsProjection,
    {} as SubscriptionStore,
    attempts as unknown as AttemptRunner,
  );
  return { apply, publish, scheduler, started, reads, recorded: () => recorded };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('delivery scheduler', () => {
  let stop: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await stop?.();
    stop = null;
  });

  it('reads each due row of a backlog once, and starts a delivery published before the rows it has read when it arrives after them', async () => {
    const h = harness();
    stop = () => h.scheduler.beforeApplicationShutdown();
    // More than a lane reads ahead at once (its free slots and 300 spare): the lane reads on past its last row.
    h.apply(Array.from({ length: 700 }, (_, i) => h.publish(String(i).padStart(4, '0'), T0 + i)));
    h.scheduler.onApplicationBootstrap();
    await until(() => h.started.length >= 20, 'the first attempts');
    // Published before every row the lane has read, committed after them (another publisher, another clock).
    h.apply([h.publish('late', T0 - 60_000)]);
    await until(() => h.recorded() >= 701, 'every delivery recorded');

    expect(new Set(h.started).size).toBe(701);
    expect(h.started).toContain('dlv_late');
    // Not read again while in flight or being recorded: each row came from the view once, or (the late one) not at all.
    expect([...h.reads.values()].filter((n) => n > 1)).toEqual([]);
    expect(h.reads.size).toBe(700);
  });

  it('reads the view from the start again when a retry falls due before the rows it has read', async () => {
    // Retried at once, due before nearly every row of the backlog: the lane's read must go back for it.
    const h = harness(new Map([['dlv_0005', T0 + 1]]));
    stop = () => h.scheduler.beforeApplicationShutdown();
    h.apply(Array.from({ length: 700 }, (_, i) => h.publish(String(i).padStart(4, '0'), T0 + i)));
    h.scheduler.onApplicationBootstrap();
    await until(() => h.recorded() >= 701, 'every delivery and the retry recorded');

    expect(h.started.filter((id) => id === 'dlv_0005')).toHaveLength(2);
    expect(new Set(h.started).size).toBe(700);
  });
});
