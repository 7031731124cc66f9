import { describe, expect, it } from 'vitest';
import type { EventStore, StoredEvent } from '../../event-store/event-store.port.js';
import { openReadModelDatabase } from '../../event-store/read-model.database.js';
import type { ProjectionRunner } from '../../projections/projection-runner.js';
import type { EventCreated } from '../domain/event.events.js';
import { EventsProjection } from './events.projection.js';

/** The ledger as the view reads it: every event `created` made, by position. */
const ledger: StoredEvent[] = [];
const store = { readAt: (at: bigint) => Promise.resolve(ledger.find((e) => e.position === at)) } as EventStore;

let position = 0n;
function created(eventId: string, fanOut: number, data: unknown = { order: eventId, total: 12.5 }): StoredEvent {
  position += 1n;
  const payload: EventCreated['data'] = {
    eventId,
    tenantId: 'ten_1',
    type: 'order.paid',
    data,
    idempotencyKey: null,
    orderingKey: null,
    createdAt: '2030-01-01T00:00:00.000Z',
    deliveries: Array.from({ length: fanOut }, (_, i) => ({ deliveryId: `dlv_${eventId}_${i}`, subscriptionId: `sub_${i}`, ordered: false })),
    test: false,
  };
  const event: StoredEvent = { id: `id-${position}`, type: 'EventCreated', streamName: `event-ten_1_${eventId}`, revision: 0n, position, data: payload, metadata: {} };
  ledger.push(event);
  return event;
}

function projection(runner = { caughtUp: true }) {
  const { db } = openReadModelDatabase(':memory:');
  const view = new EventsProjection(db, runner as ProjectionRunner, store);
  view.migrate(db);
  return { db, view };
}

describe('events projection', () => {
  it('gives each delivery of a fan-out the same cached payload, then reads the ledger once all have taken it', async () => {
    const { db, view } = projection();
    view.apply(db, created('evt_a', 3));
    const taken = [await view.payload('ten_1', 'evt_a'), await view.payload('ten_1', 'evt_a'), await view.payload('ten_1', 'evt_a')];
    expect(new Set(taken).size).toBe(1);
    expect(taken[0]).toEqual({ id: 'evt_a', tenantId: 'ten_1', type: 'order.paid', createdAt: '2030-01-01T00:00:00.000Z', dataJson: '{"order":"evt_a","total":12.5}' });
    // A retry: the cache has let it go, the ledger answers the same payload in a new object.
    const retry = await view.payload('ten_1', 'evt_a');
    expect(retry).not.toBe(taken[0]);
    expect(retry).toEqual(taken[0]);
    expect(await view.payload('ten_1', 'evt_a')).not.toBe(retry);
  });

  it('keeps no payload while the views catch up with the ledger: each is read from the ledger', async () => {
    const runner = { caughtUp: false };
    const { db, view } = projection(runner);
    view.apply(db, created('evt_c', 2));
    const first = await view.payload('ten_1', 'evt_c');
    const second = await view.payload('ten_1', 'evt_c');
    expect(first).toEqual({ id: 'evt_c', tenantId: 'ten_1', type: 'order.paid', createdAt: '2030-01-01T00:00:00.000Z', dataJson: '{"order":"evt_c","total":12.5}' });
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
    // Caught up: an event just published is kept for its deliveries again.
    runner.caughtUp = true;
    view.apply(db, created('evt_d', 2));
    expect(await view.payload('ten_1', 'evt_d')).toBe(await view.payload('ten_1', 'evt_d'));
  });

  it('answers the JSON text of the data, whatever its shape', async () => {
    const { db, view } = projection();
    view.apply(db, created('evt_s', 1, 'just a string'));
    view.apply(db, created('evt_n', 0, [1, { b: null }]));
    expect((await view.payload('ten_1', 'evt_s'))?.dataJson).toBe('"just a string"');
    expect((await view.payload('ten_1', 'evt_n'))?.dataJson).toBe('[1,{"b":null}]');
    expect(await view.payload('ten_1', 'evt_missing')).toBeUndefined();
    expect(await view.payload('ten_2', 'evt_s')).toBeUndefined();
  });

  it('keeps no copy of the data: it is read from the ledger, and a view the ledger no longer backs says so', async () => {
    const { db, view } = projection();
    const event = created('evt_d', 0, { secretless: true });
    view.apply(db, event);
    expect(Object.keys(db.prepare('SELECT * FROM events').get() as object)).not.toContain('data');
    const row = view.get('ten_1', 'evt_d')!;
    expect(row).not.toHaveProperty('data');
    expect(await view.withData(row)).toEqual({ ...row, data: { secretless: true } });
    ledger.splice(ledger.indexOf(event), 1);
    await expect(view.withData(row)).rejects.toThrow(/ledger position \d+ /);
    await expect(view.payload('ten_1', 'evt_d')).rejects.toThrow(/ledger position/);
  });

  it('is the same when every event is applied twice', async () => {
    const once = projection();
    const twice = projection();
    const events = [created('evt_1', 2), created('evt_2', 1)];
    for (const event of events) once.view.apply(once.db, event);
    for (const event of [...events, ...events]) twice.view.apply(twice.db, event);
    expect(twice.view.list('ten_1', {}, 10)).toEqual(once.view.list('ten_1', {}, 10));
    expect(await twice.view.payload('ten_1', 'evt_1')).toEqual(await once.view.payload('ten_1', 'evt_1'));
  });
});
