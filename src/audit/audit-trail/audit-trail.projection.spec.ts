import { describe, expect, it } from 'vitest';
import type { EventStore, StoredEvent } from '../../event-store/event-store.port.js';
import { openReadModelDatabase } from '../../event-store/read-model.database.js';
import type { Actor } from '../../ledger/ledger-context.js';
import type { ProjectionRunner } from '../../projections/projection-runner.js';
import { AuditTrailProjection } from './audit-trail.projection.js';

const admin: Actor = { type: 'api_key', id: 'key_01', name: 'ops-admin', role: 'admin', tenantId: 'ten_1' };
const config = { url: 'https://a.example/in', eventTypes: ['x'], description: null, headers: { Authorization: 'Bearer theirs' } };

let position = 0n;
function stored(stream: string, type: string, data: unknown, actor: Actor, tenantId = 'ten_1'): StoredEvent {
  position += 1n;
  const metadata = { actor, correlationId: `req-${position}`, tenantId, occurredAt: `2030-01-01T00:00:0${position}.000Z`, prevHash: null };
  return { id: `id-${position}`, type, streamName: stream, revision: 0n, position, data, metadata };
}

const events = [
  stored('tenant-ten_1', 'TenantCreated', { tenantId: 'ten_1', name: 'acme', createdAt: 't' }, { type: 'root' }),
  stored('apikey-key_01', 'ApiKeyIssued', { keyId: 'key_01', tenantId: 'ten_1', name: 'ops-admin', role: 'admin', keyHash: 'a'.repeat(64) }, { type: 'root' }),
  stored('subscription-sub_1', 'SubscriptionCreated', { subscriptionId: 'sub_1', tenantId: 'ten_1', config, secret: { id: 'sec_1', sealed: 'SEALED' } }, admin),
  stored('subscription-sub_1', 'SubscriptionUpdated', { subscriptionId: 'sub_1', tenantId: 'ten_1', changes: { url: 'https://b.example/in' }, previous: { url: config.url } }, admin),
  stored('delivery-dlv_1', 'AttemptMade', { deliveryId: 'dlv_1', tenantId: 'ten_1' }, { type: 'system' }),
  stored('subscription-sub_2', 'SubscriptionPaused', { subscriptionId: 'sub_2', tenantId: 'ten_2' }, { ...admin, tenantId: 'ten_2' }, 'ten_2'),
];

/** The ledger as the view reads entries from it: by position. */
function ledger(held: StoredEvent[]): EventStore {
  return { readAt: (at: bigint) => Promise.resolve(held.find((e) => e.position === at)) } as EventStore;
}

function projection(held = events) {
  const { db } = openReadModelDatabase(':memory:');
  const view = new AuditTrailProjection(db, {} as ProjectionRunner, ledger(held));
  view.migrate(db);
  return { db, view };
}

describe('audit trail projection', () => {
  it('files every command of a key or the root key under its tenant, newest first, secrets stripped', async () => {
    const { db, view } = projection();
    for (const event of events) view.apply(db, event);
    const { entries, more } = await view.list('ten_1', {}, 50);
    expect(more).toBe(false);
    expect(entries.map((e) => [e.action, e.target.id])).toEqual([
      ['SubscriptionUpdated', 'sub_1'],
      ['SubscriptionCreated', 'sub_1'],
      ['ApiKeyIssued', 'key_01'],
      ['TenantCreated', 'ten_1'],
    ]);
    expect(entries[0]).toEqual({
      position: '4',
      at: '2030-01-01T00:00:04.000Z',
      actor: { type: 'api_key', id: 'key_01', name: 'ops-admin', role: 'admin' },
      action: 'SubscriptionUpdated',
      target: { stream: 'subscription-sub_1', id: 'sub_1' },
      correlationId: 'req-4',
      changes: { url: { from: 'https://a.example/in', to: 'https://b.example/in' } },
    });
    expect(entries[1]!.changes.headers).toEqual({ from: null, to: { Authorization: '[redacted]' } });
    expect(entries[3]!.actor).toEqual({ type: 'root' });
    const text = JSON.stringify(entries);
    for (const secret of ['SEALED', 'a'.repeat(64), 'Bearer theirs', 'keyHash']) expect(text).not.toContain(secret);
  });

  it('is the same when every event is applied twice', () => {
    const once = projection();
    const twice = projection();
    for (const event of events) once.view.apply(once.db, event);
    for (const event of [...events, ...events]) twice.view.apply(twice.db, event);
    const dump = (db: typeof once.db) => db.prepare('SELECT * FROM audit_entries ORDER BY position').all();
    expect(dump(twice.db)).toEqual(dump(once.db));
  });

  it('filters by actor, time window and position', async () => {
    const { db, view } = projection();
    for (const event of events) view.apply(db, event);
    const actions = async (filter: Parameters<typeof view.list>[1], tenantId = 'ten_1') => (await view.list(tenantId, filter, 50)).entries.map((e) => e.action);
    expect(await actions({ actor: 'root' })).toEqual(['ApiKeyIssued', 'TenantCreated']);
    expect(await actions({ actor: 'key_01' })).toEqual(['SubscriptionUpdated', 'SubscriptionCreated']);
    expect(await actions({ from: '2030-01-01T00:00:02.000Z', to: '2030-01-01T00:00:04.000Z' })).toEqual(['SubscriptionCreated', 'ApiKeyIssued']);
    expect(await actions({ before: 3n })).toEqual(['ApiKeyIssued', 'TenantCreated']);
    expect(await view.list('ten_1', {}, 1)).toEqual({ entries: [expect.objectContaining({ action: 'SubscriptionUpdated' })], more: true });
    expect(await actions({}, 'ten_2')).toEqual(['SubscriptionPaused']);
  });

  it('keeps only where each command is filed; the entry is read from the ledger', async () => {
    const { db, view } = projection();
    for (const event of events) view.apply(db, event);
    expect(db.prepare('SELECT * FROM audit_entries WHERE position = 3').get()).toEqual({
      tenant_id: 'ten_1',
      position: 3,
      actor_id: 'key_01',
      occurred_at: '2030-01-01T00:00:03.000Z',
    });
  });

  it('fails, rather than leaving a command out, when the ledger no longer holds a filed one', async () => {
    const { db, view } = projection(events.filter((e) => e.position !== 3n));
    for (const event of events) view.apply(db, event);
    await expect(view.list('ten_1', {}, 50)).rejects.toThrow(/ledger position 3 /);
  });

  it('reads no ledger event for the row past the page, which only says that more follow', async () => {
    const { db, view } = projection(events.filter((e) => e.position !== 1n));
    for (const event of events) view.apply(db, event);
    const page = await view.list('ten_1', {}, 3);
    expect(page.entries.map((e) => e.position)).toEqual(['4', '3', '2']);
    expect(page.more).toBe(true);
  });
});
