import { afterAll, describe, expect, it } from 'vitest';
import { readStream } from '../support/ledger-file.js';
import { Answer, eventually, Received, Receiver, isTestEvent } from '../support/receiver.js';
import { createTenant, Service } from '../support/service.js';


describe('graceful shutdown on SIGTERM', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  /** A service whose receiver holds every webhook as `answer` says; `count` events published and in flight. */
  async function inFlight(grace: string, answer: (r: Received) => Answer, count: number) {
    const service = await Service.start({ env: { HOOKLEDGER_SHUTDOWN_GRACE: grace } });
    cleanup.push(() => service.dispose());
    const receiver = await Receiver.start((r) => (isTestEvent(r) ? { status: 204 } : answer(r)));
    cleanup.push(() => receiver.close());
    const tenant = await createTenant(service);
    const admin = service.api(tenant.keys.admin.key);
    const created = await admin.post('/v1/subscriptions', { url: receiver.url, eventTypes: ['shutdown.*'], timeoutMs: 10_000, retryPolicy: { schedule: ['0s', '100ms'] } });
    expect(created.status).toBe(201);
    await receiver.waitFor(1);
    const publisher = service.api(tenant.keys.publisher.key);
    const deliveries: string[] = [];
    for (let n = 0; n < count; n++) {
      const published = await publisher.post('/v1/events', { id: `shutdown-${n}`, type: 'shutdown.probe', data: { n } });
      expect(published.status).toBe(202);
      deliveries.push(published.body.deliveries[0].id);
    }
    await receiver.waitFor(1 + count);
    return { service, receiver, publisher, deliveries };
  }

  const history = (service: Service, id: string) => readStream(service.dataDir, `delivery-${id}`).map((e) => e.type);

  it('lets every attempt in flight finish, records each, and exits 0', async () => {
    const { service, deliveries } = await inFlight('10s', () => ({ status: 200, delayMs: 1500 }), 8);
    const started = Date.now();
    const code = await service.stop();
    const tookMs = Date.now() - started;

    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(10_000);
    expect(service.stdout).toContain('"msg":"waiting for attempts in flight","count":8');
    for (const id of deliveries) expect(history(service, id), id).toEqual(['AttemptMade', 'DeliverySucceeded']);
    for (const id of deliveries) expect(readStream(service.dataDir, `delivery-${id}`)[0]!.data).toMatchObject({ outcome: 'succeeded', response: { status: 200 } });
  });

  it('takes no new request once SIGTERM arrives', async () => {
    const { service, publisher } = await inFlight('10s', () => ({ status: 200, delayMs: 2000 }), 3);
    const exited = service.stop();
    await eventually(() => service.stdout.includes('"msg":"waiting for attempts in flight"'), 5000, 'the shutdown to begin');

    const publish = await publisher.post('/v1/events', { id: 'during-shutdown', type: 'shutdown.probe', data: {} }).catch((error: Error) => error);
    const readiness = await service.api('').get('/ready').catch((error: Error) => error);
    expect(await exited).toBe(0);

    const refused = (answer: unknown) => answer instanceof Error || (answer as { status: number }).status === 503;
    expect(refused(publish), `a publish during shutdown was answered ${JSON.stringify((publish as { status?: number }).status)}`).toBe(true);
    expect(refused(readiness), `/ready during shutdown was answered ${JSON.stringify((readiness as { status?: number }).status)}`).toBe(true);
  });

  it('waits no longer than HOOKLEDGER_SHUTDOWN_GRACE, and an attempt it cut short is made again after a restart', async () => {
    let holding = true;
    const { service, receiver, deliveries } = await inFlight('1s', () => (holding ? { status: 200, hang: true } : { status: 200 }), 4);
    const started = Date.now();
    expect(await service.stop()).toBe(0);
    const tookMs = Date.now() - started;
    expect(tookMs).toBeGreaterThanOrEqual(900);
    expect.soft(tookMs, 'SIGTERM to exit, with a 1 s grace and attempts that would take 10 s').toBeLessThan(5000);
    // Cut short: either left due (no record yet) or recorded as a failure with a retry; never lost, never final.
    for (const id of deliveries) expect([[], ['AttemptMade', 'RetryScheduled']], id).toContainEqual(history(service, id));

    holding = false;
    await service.restart();
    await eventually(() => deliveries.every((id) => history(service, id).at(-1) === 'DeliverySucceeded'), 15_000, 'every cut-short delivery to succeed');
    deliveries.forEach((id, n) => expect(receiver.events().filter((r) => r.headers['webhook-id'] === `shutdown-${n}`).length, id).toBeGreaterThanOrEqual(2));
  });
});
