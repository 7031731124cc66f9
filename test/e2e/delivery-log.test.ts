import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger } from '../support/ledger-file.js';
import { eventually, Receiver, Received, isTestEvent } from '../support/receiver.js';
import { Api, createTenant, Service, TenantKeys } from '../support/service.js';


describe('delivery log, history, replay and routing', () => {
  let service: Service;
  let tenant: TenantKeys;
  let other: TenantKeys;
  let admin: Api;
  let publisher: Api;
  let operator: Api;
  let auditor: Api;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    service = await Service.start();
    tenant = await createTenant(service);
    other = await createTenant(service, 'other');
    admin = service.api(tenant.keys.admin.key);
    publisher = service.api(tenant.keys.publisher.key);
    operator = service.api(tenant.keys.operator.key);
    auditor = service.api(tenant.keys.auditor.key);
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await service.dispose();
  });

  async function receiver(answer?: ConstructorParameters<typeof Object>[0]) {
    const r = await Receiver.start(answer as never);
    receivers.push(r);
    return r;
  }

  it('lists 1,000 deliveries 50 at a time while 200 more arrive: each original seen exactly once', async () => {
    const r = await receiver();
    const sub = await admin.post('/v1/subscriptions', { url: r.url, eventTypes: ['page.*'] });
    const originals: string[] = [];
    for (let b = 0; b < 10; b++) {
      const batch = await publisher.post('/v1/events/batch', { events: Array.from({ length: 100 }, (_, i) => ({ type: 'page.x', data: { i: b * 100 + i } })) });
      for (const result of batch.body.data) originals.push(result.event.deliveries[0].id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { data: Array<{ id: string }>; nextCursor: string | null } } = await auditor.get(
        `/v1/deliveries?subscriptionId=${sub.body.id}&limit=50${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((d) => d.id));
      cursor = page.body.nextCursor;
      if (++pages <= 4) {
        // New deliveries arrive between pages: they go to the front, never into the pages ahead.
        await publisher.post('/v1/events/batch', { events: Array.from({ length: 50 }, () => ({ type: 'page.x', data: {} })) });
      }
    } while (cursor);
    const originalSet = new Set(originals);
    const seenOriginals = seen.filter((id) => originalSet.has(id));
    expect(seenOriginals).toHaveLength(1000);
    expect(new Set(seenOriginals).size).toBe(1000);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seenOriginals).toEqual([...originals].reverse());
  });

  it('filters by status, event, type and time, and rejects bad queries', async () => {
    const r = await receiver((req: Received) => ({ status: isTestEvent(req) ? 204 : 400 }));
    const sub = await admin.post('/v1/subscriptions', { url: r.url, eventTypes: ['filt.*'] });
    const published = await publisher.post('/v1/events', { type: 'filt.bad', data: {} });
    const deliveryId = published.body.deliveries[0].id;
    await eventually(async () => (await auditor.get(`/v1/deliveries/${deliveryId}`)).body.status === 'failed');
    const failed = await auditor.get(`/v1/deliveries?subscriptionId=${sub.body.id}&status=failed`);
    expect(failed.body.data.map((d: { id: string }) => d.id)).toEqual([deliveryId]);
    expect(failed.body.data[0]).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 400, eventType: 'filt.bad', eventId: published.body.id });
    expect((await auditor.get(`/v1/deliveries?eventId=${published.body.id}`)).body.data).toHaveLength(1);
    expect((await auditor.get('/v1/deliveries?eventType=filt.bad')).body.data).toHaveLength(1);
    expect((await auditor.get(`/v1/deliveries?eventType=filt.bad&from=${new Date(Date.now() + 60_000).toISOString()}`)).body.data).toHaveLength(0);
    for (const bad of ['status=lost', 'limit=0', 'limit=500', 'from=yesterday', 'subscriptionId=nope', 'cursor=abc', 'unknown=1']) {
      const response = await auditor.get(`/v1/deliveries?${bad}`);
      expect(response.status, bad).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
    const events = await auditor.get('/v1/events?type=filt.bad');
    expect(events.body.data.map((e: { id: string }) => e.id)).toEqual([published.body.id]);
    expect((await auditor.get('/v1/events?limit=abc')).status).toBe(400);
  });

  it('replays a finally failed delivery after the receiver is fixed: same webhook-id and body, the operator named in its history', async () => {
    let broken = true;
    const r = await receiver((req: Received) => ({ status: isTestEvent(req) ? 204 : broken ? 400 : 200 }));
    await admin.post('/v1/subscriptions', { url: r.url, eventTypes: ['replay.*'] });
    const published = await publisher.post('/v1/events', { type: 'replay.me', data: { order: 7 } });
    const deliveryId = published.body.deliveries[0].id;
    await eventually(async () => (await auditor.get(`/v1/deliveries/${deliveryId}`)).body.status === 'failed');
    broken = false;
    const replay = await operator.post(`/v1/deliveries/${deliveryId}/replay`, { reason: 'receiver fixed' });
    expect(replay.status).toBe(202);
    const done = await eventually(async () => {
      const got = await auditor.get(`/v1/deliveries/${deliveryId}`);
      return got.body.status === 'succeeded' ? got.body : undefined;
    });
    const sent = r.received.filter((q) => !isTestEvent(q));
    expect(sent).toHaveLength(2);
    expect(sent[1]!.headers['webhook-id']).toBe(sent[0]!.headers['webhook-id']);
    expect(sent[1]!.body).toBe(sent[0]!.body);
    expect(done.attempts.map((a: { trigger: string; attempt: number }) => [a.attempt, a.trigger])).toEqual([[1, 'initial'], [2, 'replay']]);
    const requested = done.history.find((h: { type: string }) => h.type === 'ReplayRequested');
    expect(requested.actor).toMatchObject({ type: 'api_key', name: 'operator-key', role: 'operator' });
    expect(requested.data.reason).toBe('receiver fixed');
    expect(done.history.map((h: { type: string }) => h.type)).toEqual(['AttemptMade', 'DeliveryFailed', 'ReplayRequested', 'AttemptMade', 'DeliverySucceeded']);
  });

  it('answers 409 to a replay while an attempt is scheduled, 404 to another tenant, 403 to roles without it', async () => {
    const r = await receiver((req: Received) => ({ status: isTestEvent(req) ? 204 : 503 }));
    await admin.post('/v1/subscriptions', { url: r.url, eventTypes: ['busy.*'], retryPolicy: { schedule: ['0s', '1h'] } });
    const published = await publisher.post('/v1/events', { type: 'busy.x', data: {} });
    const deliveryId = published.body.deliveries[0].id;
    await eventually(async () => {
      const got = await auditor.get(`/v1/deliveries/${deliveryId}`);
      return got.body.attempts.length === 1 && got.body.nextAttemptAt !== null;
    });
    const streamLength = () => readLedger(service.dataDir).filter((row) => row.stream === `delivery-${deliveryId}`).length;
    const before = streamLength();
    const busy = await operator.post(`/v1/deliveries/${deliveryId}/replay`, {});
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe('DELIVERY.IN_PROGRESS');
    expect((await service.api(other.keys.operator.key).post(`/v1/deliveries/${deliveryId}/replay`, {})).status).toBe(404);
    expect((await service.api(other.keys.auditor.key).get(`/v1/deliveries/${deliveryId}`)).status).toBe(404);
    expect((await service.api(other.keys.auditor.key).get(`/v1/deliveries?eventId=${published.body.id}`)).body.data).toEqual([]);
    expect((await service.api(other.keys.auditor.key).get(`/v1/events/${published.body.id}/routing`)).status).toBe(404);
    expect((await auditor.post(`/v1/deliveries/${deliveryId}/replay`, {})).status).toBe(403);
    expect((await publisher.get(`/v1/deliveries/${deliveryId}`)).status).toBe(403);
    expect((await publisher.get('/v1/deliveries')).status).toBe(403);
    expect((await publisher.get(`/v1/events/${published.body.id}`)).status).toBe(403);
    expect((await operator.post(`/v1/deliveries/${deliveryId}/replay`, { reason: 7 })).status).toBe(400);
    expect((await operator.post('/v1/deliveries/nope/replay', {})).status).toBe(404);
    expect(streamLength()).toBe(before);
  });

  it('names the reason each subscription did or did not get an event, as it stood at the event', async () => {
    const r = await receiver();
    const typeSub = await admin.post('/v1/subscriptions', { url: r.url, eventTypes: ['other.*'] });
    const filterSub = await admin.post('/v1/subscriptions', { url: r.url, eventTypes: ['route.*'], filter: { region: 'eu' } });
    const pausedSub = await admin.post('/v1/subscriptions', { url: r.url, eventTypes: ['route.*'] });
    await operator.post(`/v1/subscriptions/${pausedSub.body.id}/pause`);
    const matchSub = await admin.post('/v1/subscriptions', { url: r.url, eventTypes: ['route.x'] });
    const published = await publisher.post('/v1/events', { type: 'route.x', data: { region: 'us' } });
    const laterSub = await admin.post('/v1/subscriptions', { url: r.url, eventTypes: ['route.*'] });
    // Changing a subscription afterwards does not change how the event was judged.
    await admin.patch(`/v1/subscriptions/${filterSub.body.id}`, { filter: null });

    const routing = await auditor.get(`/v1/events/${published.body.id}/routing`);
    expect(routing.status).toBe(200);
    const by = (id: string) => routing.body.data.find((e: { subscriptionId: string }) => e.subscriptionId === id);
    expect(by(typeSub.body.id)).toMatchObject({ matched: false, reason: 'event_type', deliveryId: null });
    expect(by(filterSub.body.id)).toMatchObject({ matched: false, reason: 'filter', deliveryId: null });
    expect(by(pausedSub.body.id)).toMatchObject({ matched: true, reason: 'paused', deliveryId: expect.stringMatching(/^dlv_/) });
    expect(by(matchSub.body.id)).toMatchObject({ matched: true, reason: null, deliveryId: published.body.deliveries.find((d: { subscriptionId: string }) => d.subscriptionId === matchSub.body.id).id });
    expect(by(laterSub.body.id)).toMatchObject({ matched: false, reason: 'created_later' });
  });
});
