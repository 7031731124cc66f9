import { afterAll, describe, expect, it } from 'vitest';
import { readLedger, readStream } from '../support/ledger-file.js';
import { eventually, Receiver, Received, isTestEvent } from '../support/receiver.js';
import { createTenant, Service } from '../support/service.js';


describe('crash recovery', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup) await c();
  });

  it('fires every scheduled retry and re-attempts every in-flight delivery after kill -9', async () => {
    const service = await Service.start();
    cleanup.push(() => service.dispose());
    const seen = new Map<string, number>();
    const count = (r: Received) => {
      const id = r.headers['webhook-id'] as string;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      return seen.get(id)!;
    };
    // First try of each event: 500 (a retry gets scheduled). Later tries: 200.
    const flaky = await Receiver.start((r) => (isTestEvent(r) ? { status: 204 } : count(r) === 1 ? { status: 500 } : { status: 200 }));
    // First try of each event never answers (in flight at the crash). Later tries: 200.
    const stuck = await Receiver.start((r) => (isTestEvent(r) ? { status: 204 } : count(r) === 1 ? { status: 200, hang: true } : { status: 200 }));
    cleanup.push(() => flaky.close(), () => stuck.close());

    const tenant = await createTenant(service);
    const admin = service.api(tenant.keys.admin.key);
    await admin.post('/v1/subscriptions', { url: flaky.url, eventTypes: ['retry.*'], retryPolicy: { schedule: ['0s', '2s', '2s'] } });
    await admin.post('/v1/subscriptions', { url: stuck.url, eventTypes: ['stuck.*'], timeoutMs: 30000, retryPolicy: { schedule: ['0s', '1s'] } });
    const publisher = service.api(tenant.keys.publisher.key);
    const deliveries: string[] = [];
    for (let n = 0; n < 20; n++) deliveries.push((await publisher.post('/v1/events', { type: 'retry.x', data: { n } })).body.deliveries[0].id);
    for (let n = 0; n < 5; n++) deliveries.push((await publisher.post('/v1/events', { type: 'stuck.x', data: { n } })).body.deliveries[0].id);

    const types = (id: string) => readStream(service.dataDir, `delivery-${id}`).map((e) => e.type);
    await eventually(() => deliveries.slice(0, 20).every((id) => types(id).includes('RetryScheduled')), 10_000, 'every retry to be scheduled');
    await stuck.waitFor(6);
    expect(deliveries.slice(20).every((id) => types(id).length === 0)).toBe(true);

    await service.crash();
    await service.restart();
    // A process crash loses none of the read-model writes, unsynced as they are: the views are kept, not rebuilt.
    expect(service.stdout).not.toContain('read models deleted');

    await eventually(() => deliveries.every((id) => types(id).at(-1) === 'DeliverySucceeded'), 20_000, 'every delivery to succeed');
    for (const id of deliveries.slice(0, 20)) expect(types(id)).toEqual(['AttemptMade', 'RetryScheduled', 'AttemptMade', 'DeliverySucceeded']);
    for (const id of deliveries.slice(20)) expect(types(id)).toEqual(['AttemptMade', 'DeliverySucceeded']);
    const created = readLedger(service.dataDir).filter((r) => r.type === 'EventCreated' && /"type":"(retry|stuck)\.x"/.test(r.data));
    expect(created).toHaveLength(25);
  });
});
