import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../event-store/event-store.port.js';
import { openReadModelDatabase } from '../../event-store/read-model.database.js';
import type { EventCreated } from '../../events/domain/event.events.js';
import type { ProjectionRunner } from '../../projections/projection-runner.js';
import type { AttemptRecord, DeliveryEvent, Trigger } from '../domain/delivery.events.js';
import { DeliveriesProjection } from './deliveries.projection.js';

const ids = { deliveryId: 'dlv_1', eventId: 'evt_1', subscriptionId: 'sub_1', tenantId: 'ten_1' };
const AT = '2030-01-01T00:00:00.000Z';

function stream(test = false) {
  let position = 0n;
  let revision = -1n;
  const stored = (streamName: string, rev: bigint, type: string, data: unknown): StoredEvent => {
    position += 1n;
    return { id: `id-${position}`, type, streamName, revision: rev, position, data: data as Record<string, unknown>, metadata: { occurredAt: AT } };
  };
  const created: EventCreated['data'] = {
    eventId: ids.eventId,
    tenantId: ids.tenantId,
    type: 'order.paid',
    data: { n: 1 },
    idempotencyKey: null,
    orderingKey: null,
    createdAt: AT,
    deliveries: [{ deliveryId: ids.deliveryId, subscriptionId: ids.subscriptionId, ordered: false }],
    test,
  };
  return {
    fanOut: () => stored('event-ten_1.evt_1', 0n, 'EventCreated', created),
    next: (event: DeliveryEvent) => stored(`delivery-${ids.deliveryId}`, (revision += 1n), event.type, event.data),
  };
}

function attempt(n: number, trigger: Trigger, status: number): DeliveryEvent {
  const record: AttemptRecord = {
    attempt: n,
    trigger,
    startedAt: AT,
    request: { url: 'http://127.0.0.1/hook', headers: {}, signature: 'v1,x', secretIds: ['sec_1'], bodyBytes: 2, bodySha256: 'ab' },
    response: { status, headers: {}, body: '' },
    error: null,
    durationMs: 3,
    outcome: status < 300 ? 'succeeded' : 'retryable',
  };
  return { type: 'AttemptMade', data: { ...ids, ...record } };
}
const succeeded = (attempts: number): DeliveryEvent => ({ type: 'DeliverySucceeded', data: { ...ids, attempts, succeededAt: AT, afterFailures: attempts > 1 } });
const retry = (n: number): DeliveryEvent => ({ type: 'RetryScheduled', data: { ...ids, attempt: n, dueAt: '2030-01-01T00:00:05.000Z' } });
const replay = (): DeliveryEvent => ({ type: 'ReplayRequested', data: { ...ids, reason: null, jobId: null, requestedAt: AT } });

function view() {
  const { db } = openReadModelDatabase(':memory:');
  const deliveries = new DeliveriesProjection(db, {} as ProjectionRunner);
  deliveries.migrate(db);
  /** Applies the events as the runner does: one batch, written at its end. */
  const batch = (...events: StoredEvent[]) => {
    deliveries.beginBatch();
    for (const event of events) deliveries.apply(db, event);
    deliveries.endBatch(db);
  };
  const row = () => ({ delivery: deliveries.get(ids.deliveryId), log: deliveries.logEntry(ids.deliveryId) });
  return { batch, row };
}

describe('deliveries projection', () => {
  it('takes a first attempt and its outcome in one batch: the row the fan-out made, with its trigger, is brought to the outcome', () => {
    const s = stream(true);
    const { batch, row } = view();
    batch(s.fanOut());
    batch(s.next(attempt(1, 'test', 200)), s.next(succeeded(1)));
    const { delivery, log } = row();
    expect(delivery).toMatchObject({ trigger: 'test', revision: 1, dueAt: null, createdAt: AT });
    expect(delivery?.state).toMatchObject({ status: 'succeeded', attempts: 1, failuresInARow: 0, dueAt: null });
    expect(log).toMatchObject({ status: 'succeeded', attempts: 1, last_status: 200, last_error: null, updated_at: AT });
  });

  it('makes the same row whether each event is a batch of its own (each read back) or all come in one', () => {
    const events = (s: ReturnType<typeof stream>) => [s.fanOut(), s.next(attempt(1, 'initial', 503)), s.next(retry(1)), s.next(attempt(2, 'retry', 200)), s.next(succeeded(2))];
    const apart = view();
    for (const event of events(stream())) apart.batch(event);
    const together = view();
    const [fanOut, ...rest] = events(stream());
    together.batch(fanOut!);
    together.batch(...rest);
    expect(together.row()).toEqual(apart.row());
    expect(together.row().delivery).toMatchObject({ trigger: 'retry', revision: 3, state: { status: 'succeeded', attempts: 2, failuresInARow: 0 } });
  });

  it('reads the row back when the stream had an event before the attempt (a replay asked for first)', () => {
    const s = stream();
    const { batch, row } = view();
    batch(s.fanOut());
    batch(s.next(replay()));
    expect(row().delivery).toMatchObject({ trigger: 'replay', state: { replayRequested: true } });
    batch(s.next(attempt(1, 'replay', 200)), s.next(succeeded(1)));
    expect(row().delivery).toMatchObject({ trigger: 'replay', revision: 2, state: { status: 'succeeded', attempts: 1, replayRequested: false } });
  });
});
