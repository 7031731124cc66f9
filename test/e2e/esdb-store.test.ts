import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { EsdbDouble, startEsdbDouble } from '../support/esdb-double/esdb-double.js';
import { dumpReadModel } from '../support/ledger-file.js';
import { eventually, Receiver } from '../support/receiver.js';
import { createTenant, Service } from '../support/service.js';

/**
 * The whole service on the EventStoreDB adapter, through the real client over gRPC to the protocol
 * test double (and to a real server when HOOKLEDGER_ESDB_URL is set).
 */
const real = process.env.HOOKLEDGER_ESDB_URL;

const targets: Array<[string, string | undefined]> = [['the EventStoreDB protocol test double', undefined]];
if (real) targets.push([`a real EventStoreDB at ${real.replace(/\/\/[^@]*@/, '//')}`, real]);

describe.each(targets)('the service on %s', (_label, url) => {
  let double: EsdbDouble | undefined;
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('publishes, delivers signed, retries, and rebuilds its views from the store', async () => {
    if (!url) {
      double = await startEsdbDouble();
      cleanup.push(() => double!.stop());
    }
    const service = await Service.start({ env: { HOOKLEDGER_EVENT_STORE: 'esdb', HOOKLEDGER_ESDB_URL: url ?? double!.url } });
    cleanup.push(() => service.dispose());
    const r = await Receiver.start((req, call) => ({ status: req.body.includes('webhook.test') ? 204 : call === 2 ? 503 : 200 }));
    cleanup.push(() => r.close());

    const tenant = await createTenant(service);
    const sub = await service.api(tenant.keys.admin.key).post('/v1/subscriptions', { url: r.url, eventTypes: ['esdb.*'], retryPolicy: { schedule: ['0s', '50ms'] } });
    expect(sub.status).toBe(201);
    const published = await service.api(tenant.keys.publisher.key).post('/v1/events', { type: 'esdb.hello', data: { n: 1 }, id: `esdb-${Date.now()}` });
    expect(published.status).toBe(202);
    const again = await service.api(tenant.keys.publisher.key).post('/v1/events', { type: 'esdb.hello', data: { n: 1 }, id: published.body.id });
    expect(again.body).toEqual(published.body);

    const auditor = service.api(tenant.keys.auditor.key);
    const delivery = await eventually(async () => {
      const got = await auditor.get(`/v1/deliveries/${published.body.deliveries[0].id}`);
      return got.body.status === 'succeeded' ? got.body : undefined;
    });
    expect(delivery.attempts.map((a: { response: { status: number } }) => a.response.status)).toEqual([503, 200]);
    const request = r.received.at(-1)!;
    expect(() =>
      new Webhook(sub.body.secret).verify(request.body, {
        'webhook-id': request.headers['webhook-id'] as string,
        'webhook-timestamp': request.headers['webhook-timestamp'] as string,
        'webhook-signature': request.headers['webhook-signature'] as string,
      }),
    ).not.toThrow();

    expect(await service.stop()).toBe(0);
    const live = dumpReadModel(service.dataDir);
    const { rmSync } = await import('node:fs');
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${service.dataDir}/read-model.db${suffix}`, { force: true });
    await service.restart();
    await eventually(async () => (await service.api('').get('/ready')).status === 200);
    expect(await service.stop()).toBe(0);
    if (!url) expect(dumpReadModel(service.dataDir)).toEqual(live);
  });
});
