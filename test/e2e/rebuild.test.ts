import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { dumpReadModel } from '../support/ledger-file.js';
import { eventually, isTestEvent, Receiver } from '../support/receiver.js';
import { createTenant, Service } from '../support/service.js';


describe('npm run projections:rebuild', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('rebuilds every view from the ledger identical to the live ones after a busy scenario', async () => {
    const service = await Service.start();
    cleanup.push(() => service.dispose());
    const flaky = await Receiver.start((req, call) => ({ status: isTestEvent(req) ? 204 : call % 3 === 0 ? 200 : call % 3 === 1 ? 500 : 400 }));
    const ok = await Receiver.start();
    cleanup.push(() => flaky.close(), () => ok.close());
    const tenant = await createTenant(service);
    const admin = service.api(tenant.keys.admin.key);
    const operator = service.api(tenant.keys.operator.key);
    const publisher = service.api(tenant.keys.publisher.key);

    const a = await admin.post('/v1/subscriptions', { url: flaky.url, eventTypes: ['busy.*'], retryPolicy: { schedule: ['0s', '20ms', '20ms'] } });
    const b = await admin.post('/v1/subscriptions', { url: ok.url, eventTypes: ['busy.a'], filter: { n: [1, 2, 3] }, ordering: 'key' });
    await admin.patch(`/v1/subscriptions/${b.body.id}`, { description: 'changed' });
    await admin.post(`/v1/subscriptions/${a.body.id}/rotate-secret`, {});
    const since = new Date(Date.now() - 1000).toISOString();
    for (let n = 0; n < 30; n++) await publisher.post('/v1/events', { type: n % 2 ? 'busy.a' : 'busy.b', data: { n }, orderingKey: `k${n % 3}` });
    await publisher.post('/v1/events/batch', { events: Array.from({ length: 50 }, (_, n) => ({ type: 'busy.a', data: { n } })) });
    const late = await admin.post('/v1/subscriptions', { url: ok.url, eventTypes: ['busy.b'] });
    await operator.post(`/v1/subscriptions/${late.body.id}/pause`);
    const issued = await admin.post('/v1/api-keys', { name: 'temp', role: 'auditor' });
    await admin.delete(`/v1/api-keys/${issued.body.id}`);
    await eventually(async () => (await operator.get(`/v1/deliveries?status=pending&subscriptionId=${a.body.id}`)).body.data.length === 0, 20_000, 'deliveries to settle');
    const replay = await operator.post(`/v1/subscriptions/${a.body.id}/replay`, { since });
    await eventually(async () => (await operator.get(`/v1/jobs/${replay.body.jobId}`)).body.status === 'completed');
    const backfill = await operator.post(`/v1/subscriptions/${late.body.id}/backfill`, { since });
    await eventually(async () => (await operator.get(`/v1/jobs/${backfill.body.jobId}`)).body.status === 'completed');
    await eventually(async () => (await operator.get(`/v1/deliveries?status=pending&subscriptionId=${a.body.id}`)).body.data.length === 0, 20_000, 'replays to settle');

    expect(await service.stop()).toBe(0);
    const live = dumpReadModel(service.dataDir);
    expect(Object.keys(live)).toEqual(expect.arrayContaining(['api_keys', 'deliveries', 'events', 'jobs', 'subscriptions', 'tenants']));

    const rebuilt = spawnSync(process.execPath, ['dist/cli/rebuild-projections.js'], { env: service.env(), encoding: 'utf8', timeout: 60_000 });
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toContain('read models rebuilt');
    expect(dumpReadModel(service.dataDir)).toEqual(live);

    await service.restart();
    expect((await operator.get(`/v1/subscriptions/${b.body.id}`)).body.description).toBe('changed');
  });
});
