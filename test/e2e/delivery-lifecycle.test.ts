import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStream } from '../support/ledger-file.js';
import { Answer, eventually, Receiver, Received, isTestEvent } from '../support/receiver.js';
import { Api, createTenant, Service, TenantKeys } from '../support/service.js';


describe('delivery lifecycle', () => {
  let service: Service;
  let tenant: TenantKeys;
  let admin: Api;
  let publisher: Api;
  let operator: Api;
  const receivers: Receiver[] = [];
  let serial = 0;

  beforeAll(async () => {
    service = await Service.start();
    tenant = await createTenant(service);
    admin = service.api(tenant.keys.admin.key);
    operator = service.api(tenant.keys.operator.key);
    publisher = service.api(tenant.keys.publisher.key);
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await service.dispose();
  });

  async function setUp(answer?: (r: Received, call: number) => Answer, extra: Record<string, unknown> = {}) {
    const r = await Receiver.start(answer);
    receivers.push(r);
    const prefix = `lc${serial++}`;
    const response = await admin.post('/v1/subscriptions', { url: r.url, eventTypes: [`${prefix}.*`], retryPolicy: { schedule: ['0s', '50ms', '50ms'] }, ...extra });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    await r.waitFor(1);
    return { r, sub: response.body as { id: string; secret: string }, type: `${prefix}.event` };
  }

  const streamOf = (deliveryId: string) => readStream(service.dataDir, `delivery-${deliveryId}`);

  it('holds deliveries while paused and sends them in publish order on resume', async () => {
    // One at a time, so arrival order is publish order (with more, only the sending order is).
    const { r, sub, type } = await setUp(undefined, { maxConcurrency: 1 });
    await operator.post(`/v1/subscriptions/${sub.id}/pause`);
    for (let n = 0; n < 5; n++) await publisher.post('/v1/events', { type, data: { n } });
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing may arrive while paused
    expect(r.received.filter((q) => !isTestEvent(q))).toHaveLength(0);
    await operator.post(`/v1/subscriptions/${sub.id}/resume`);
    await r.waitFor(6);
    expect(r.received.filter((q) => !isTestEvent(q)).map((q) => JSON.parse(q.body).data.n)).toEqual([0, 1, 2, 3, 4]);
  });

  it('a pause stops what waits to be sent: the attempt at the receiver ends, the rest go out on resume, in publish order', async () => {
    // The first event is answered after 600 ms; the next ones wait behind it on the sending thread (one at a time), which
    // would send them the moment it is answered had the pause not withdrawn them (and within their 1 s staleness bound).
    const { r, sub, type } = await setUp((req) => (!isTestEvent(req) && JSON.parse(req.body).data.n === 0 ? { status: 204, delayMs: 600 } : { status: 204 }), {
      maxConcurrency: 1,
    });
    const first = await publisher.post('/v1/events', { type, data: { n: 0 } });
    for (let n = 1; n < 4; n++) await publisher.post('/v1/events', { type, data: { n } });
    await r.waitFor(2);
    expect((await operator.post(`/v1/subscriptions/${sub.id}/pause`)).status).toBe(200);
    await eventually(() => streamOf(first.body.deliveries[0].id).some((e) => e.type === 'DeliverySucceeded'), 10_000, 'the first attempt recorded');
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing more may arrive while paused
    expect(r.received.filter((q) => !isTestEvent(q)).map((q) => JSON.parse(q.body).data.n)).toEqual([0]);
    await operator.post(`/v1/subscriptions/${sub.id}/resume`);
    await r.waitFor(5);
    expect(r.received.filter((q) => !isTestEvent(q)).map((q) => JSON.parse(q.body).data.n)).toEqual([0, 1, 2, 3]);
  });

  it('cancels pending retries at once when the subscription is deleted, each with a DeliveryCancelled record', async () => {
    const { r, sub, type } = await setUp((req) => ({ status: isTestEvent(req) ? 204 : 503 }), { retryPolicy: { schedule: ['0s', '1h'] } });
    const published = await publisher.post('/v1/events', { type, data: {} });
    const deliveryId = published.body.deliveries[0].id;
    await eventually(() => streamOf(deliveryId).some((e) => e.type === 'RetryScheduled'), 10_000, 'a scheduled retry');
    expect((await admin.delete(`/v1/subscriptions/${sub.id}`)).status).toBe(204);
    const events = await eventually(() => {
      const s = streamOf(deliveryId);
      return s.at(-1)?.type === 'DeliveryCancelled' ? s : undefined;
    }, 10_000, 'the cancellation');
    expect(events.at(-1)!.data.reason).toBe('subscription deleted');
    expect(r.received.filter((q) => !isTestEvent(q))).toHaveLength(1);
  });

  it('sends a test event on POST /test, recorded with trigger test', async () => {
    const { r, sub } = await setUp();
    const response = await operator.post(`/v1/subscriptions/${sub.id}/test`);
    expect(response.status).toBe(202);
    await r.waitFor(2);
    const attempt = await eventually(() => streamOf(response.body.deliveryId).find((e) => e.type === 'AttemptMade'));
    expect(attempt.data.trigger).toBe('test');
    expect((await service.api(tenant.keys.auditor.key).post(`/v1/subscriptions/${sub.id}/test`)).status).toBe(403);
    const other = await createTenant(service, 'other-lc');
    expect((await service.api(other.keys.admin.key).post(`/v1/subscriptions/${sub.id}/test`)).status).toBe(404);
  });

  it('delivers one key at a time in publish order, without holding up another key', async () => {
    const { r, type } = await setUp((req) => (isTestEvent(req) ? { status: 204 } : { status: 200, delayMs: JSON.parse(req.body).data.key === 'A' ? 25 : 0 }), {
      ordering: 'key',
    });
    const publishedA: string[] = [];
    for (let n = 0; n < 50; n++) publishedA.push((await publisher.post('/v1/events', { type, data: { key: 'A', n }, orderingKey: 'A' })).body.id);
    await publisher.post('/v1/events', { type, data: { key: 'B', n: 0 }, orderingKey: 'B' });
    await r.waitFor(52, 30_000);
    const real = r.received.filter((q) => !isTestEvent(q));
    const a = real.filter((q) => JSON.parse(q.body).data.key === 'A');
    expect(a.map((q) => JSON.parse(q.body).data.n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    for (let i = 1; i < a.length; i++) expect(a[i]!.at - a[i - 1]!.at).toBeGreaterThanOrEqual(20);
    const bIndex = real.findIndex((q) => JSON.parse(q.body).data.key === 'B');
    expect(bIndex).toBeLessThan(real.length - 10);
  });

  it('publishes operational events to subscriptions that ask for them, and never about themselves', async () => {
    const ops = await Receiver.start((req) => ({ status: req.body.includes('"hookledger.delivery.failed"') && !isTestEvent(req) ? 500 : 204 }));
    receivers.push(ops);
    const opsSub = await admin.post('/v1/subscriptions', { url: ops.url, eventTypes: ['hookledger.*'], retryPolicy: { schedule: ['0s', '50ms'] } });
    expect(opsSub.status).toBe(201);
    await ops.waitFor(1);

    const failing = await setUp((req) => ({ status: isTestEvent(req) ? 204 : 400 }));
    const failed = await publisher.post('/v1/events', { type: failing.type, data: {} });
    const recovering = await setUp((req, call) => ({ status: isTestEvent(req) ? 204 : call === 2 ? 500 : 200 }));
    const recovered = await publisher.post('/v1/events', { type: recovering.type, data: {} });
    const gone = await setUp((req) => ({ status: isTestEvent(req) ? 204 : 410 }));
    await publisher.post('/v1/events', { type: gone.type, data: {} });
    await admin.post(`/v1/subscriptions/${recovering.sub.id}/rotate-secret`, {});

    // Distinct notifications: a failed notification is retried, so it may arrive more than once.
    const types = () => [
      ...new Map(
        ops.received.filter((q) => !isTestEvent(q)).map((q) => [q.headers['webhook-id'], JSON.parse(q.body) as { type: string; data: Record<string, unknown> }]),
      ).values(),
    ];
    await eventually(() => {
      const seen = new Set(types().map((e) => e.type));
      return ['hookledger.delivery.failed', 'hookledger.delivery.recovered', 'hookledger.subscription.disabled', 'hookledger.subscription.secret_rotated'].every((t) => seen.has(t));
    }, 15_000, 'all four operational events');
    const all = types();
    expect(all.find((e) => e.type === 'hookledger.delivery.failed')!.data).toMatchObject({ deliveryId: failed.body.deliveries[0].id, reason: 'permanent' });
    expect(all.find((e) => e.type === 'hookledger.delivery.recovered')!.data).toMatchObject({ deliveryId: recovered.body.deliveries[0].id });
    expect(all.find((e) => e.type === 'hookledger.subscription.disabled')!.data).toMatchObject({ subscriptionId: gone.sub.id, reason: 'gone' });
    // The ops receiver fails every delivery.failed notification: that must not cause another one.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const failedAbout = types().filter((e) => e.type === 'hookledger.delivery.failed').map((e) => e.data.eventId);
    expect(failedAbout).toHaveLength(2);
    expect(failedAbout).toContain(failed.body.id);
  });
});

describe('a subscription failing for the configured window', () => {
  it('is disabled with reason failing and its pending retries are cancelled', async () => {
    const service = await Service.start({ env: { HOOKLEDGER_DISABLE_FAILING_AFTER: '1s' } });
    const r = await Receiver.start((req) => ({ status: isTestEvent(req) ? 500 : 500 }));
    try {
      const tenant = await createTenant(service);
      const admin = service.api(tenant.keys.admin.key);
      const sub = await admin.post('/v1/subscriptions', { url: r.url, eventTypes: ['f.*'], retryPolicy: { schedule: ['0s', '200ms', '1h'] } });
      const published = await service.api(tenant.keys.publisher.key).post('/v1/events', { type: 'f.x', data: {} });
      const disabled = await eventually(async () => {
        const got = await admin.get(`/v1/subscriptions/${sub.body.id}`);
        return got.body.status === 'disabled' ? got.body : undefined;
      }, 15_000, 'the subscription to be disabled');
      expect(disabled.disabledReason).toBe('failing');
      await eventually(() => readStream(service.dataDir, `delivery-${published.body.deliveries[0].id}`).at(-1)?.type === 'DeliveryCancelled', 10_000, 'cancellation');
    } finally {
      await r.close();
      await service.dispose();
    }
  });
});
