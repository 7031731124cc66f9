import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger, readStream } from '../support/ledger-file.js';
import { Answer, eventually, Receiver, Received } from '../support/receiver.js';
import { Api, createTenant, Service, TenantKeys } from '../support/service.js';

const fast = { schedule: ['0s', '50ms', '50ms', '50ms'] };

describe('publish and deliver', () => {
  let service: Service;
  let tenant: TenantKeys;
  let admin: Api;
  let publisher: Api;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    service = await Service.start();
    tenant = await createTenant(service);
    admin = service.api(tenant.keys.admin.key);
    publisher = service.api(tenant.keys.publisher.key);
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await service.dispose();
  });

  async function receiver(answer?: (r: Received, call: number) => Answer): Promise<Receiver> {
    const r = await Receiver.start(answer);
    receivers.push(r);
    return r;
  }

  /** A subscription on its own event type (`type`), so tests do not see each other's events. */
  async function subscribe(url: string, extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string; type: string }> {
    const prefix = `t${receivers.length}`;
    const response = await admin.post('/v1/subscriptions', { url, eventTypes: [`${prefix}.*`], retryPolicy: fast, ...extra });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return { ...response.body, type: `${prefix}.a` };
  }

  function deliveryEvents(deliveryId: string) {
    return readStream(service.dataDir, `delivery-${deliveryId}`);
  }

  async function finalState(deliveryId: string) {
    return eventually(() => {
      const events = deliveryEvents(deliveryId);
      const last = events[events.length - 1];
      return last && ['DeliverySucceeded', 'DeliveryFailed', 'DeliveryCancelled'].includes(last.type) ? events : undefined;
    }, 15_000, `delivery ${deliveryId} to end`);
  }

  it('signs every request (verified with standardwebhooks) and sends each event once with webhook-id = event id', async () => {
    const r = await receiver();
    const sub = await subscribe(r.url + '/std', { eventTypes: ['order.*'] });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const published = await publisher.post('/v1/events', { type: 'order.paid', data: { n: i, text: 'naïve ✓' } });
      expect(published.status).toBe(202);
      expect(published.body.deliveries).toEqual([{ id: expect.stringMatching(/^dlv_/), subscriptionId: sub.id }]);
      ids.push(published.body.id);
    }
    await r.waitFor(11);
    const verifier = new Webhook(sub.secret);
    for (const request of r.received) {
      expect(request.headers['user-agent']).toMatch(/^hookledger\/\d+\.\d+\.\d+/);
      expect(request.headers['content-type']).toBe('application/json');
      const verified = verifier.verify(request.body, {
        'webhook-id': request.headers['webhook-id'] as string,
        'webhook-timestamp': request.headers['webhook-timestamp'] as string,
        'webhook-signature': request.headers['webhook-signature'] as string,
      }) as { id: string; type: string; data: unknown; timestamp: string };
      expect(verified.id).toBe(request.headers['webhook-id']);
    }
    const test = r.received.find((q) => q.body.includes('webhook.test'))!;
    expect(JSON.parse(test.body)).toMatchObject({ type: 'webhook.test', data: { subscriptionId: sub.id } });
    const events = r.events();
    expect(events.map((q) => q.headers['webhook-id']).sort()).toEqual([...ids].sort());
    expect(new Set(events.map((q) => q.headers['webhook-id'])).size).toBe(10);
    expect(JSON.parse(events[0]!.body)).toEqual({ id: events[0]!.headers['webhook-id'], type: 'order.paid', timestamp: expect.any(String), data: expect.any(Object) });
  });

  it('signs with hmac-sha256-hex in the named header, and sends raw payloads as published', async () => {
    const r = await receiver();
    const sub = await subscribe(r.url, { eventTypes: ['raw.x'], signature: { scheme: 'hmac-sha256-hex', header: 'X-Signature' }, payload: 'raw', headers: { 'X-Team': 'core' } });
    const data = { event: 'call.completed', tenant_id: 'abc', data: { n: 1 } };
    const published = await publisher.post('/v1/events', { type: 'raw.x', data });
    await r.waitFor(2);
    const request = r.events()[0]!;
    expect(request.body).toBe(JSON.stringify(data));
    const key = Buffer.from(sub.secret.slice('whsec_'.length), 'base64');
    expect(request.headers['x-signature']).toBe(createHmac('sha256', key).update(request.body).digest('hex'));
    expect(request.headers['x-team']).toBe('core');
    expect(request.headers['webhook-id']).toBe(published.body.id);
    expect(request.headers['webhook-signature']).toBeUndefined();
  });

  it('signs with both secrets during a rotation grace period, each verifiable on its own', async () => {
    const r = await receiver();
    const sub = await subscribe(r.url);
    const rotated = await admin.post(`/v1/subscriptions/${sub.id}/rotate-secret`, {});
    await publisher.post('/v1/events', { type: sub.type, data: { after: 'rotation' } });
    await r.waitFor(2);
    const request = r.events()[0]!;
    const signatures = (request.headers['webhook-signature'] as string).split(' ');
    expect(signatures).toHaveLength(2);
    for (const [secret, signature] of [[rotated.body.secret, signatures[0]], [sub.secret, signatures[1]]] as const) {
      expect(() =>
        new Webhook(secret).verify(request.body, {
          'webhook-id': request.headers['webhook-id'] as string,
          'webhook-timestamp': request.headers['webhook-timestamp'] as string,
          'webhook-signature': signature!,
        }),
      ).not.toThrow();
    }
  });

  it('records three attempts for 500, 500, 200 and ends with DeliverySucceeded', async () => {
    const r = await receiver((req, call) => ({ status: req.body.includes('webhook.test') ? 204 : call <= 3 ? 500 : 200 }));
    const sub = await subscribe(r.url);
    await r.waitFor(1);
    const published = await publisher.post('/v1/events', { type: sub.type, data: {} });
    const events = await finalState(published.body.deliveries[0].id);
    expect(events.map((e) => e.type)).toEqual(['AttemptMade', 'RetryScheduled', 'AttemptMade', 'RetryScheduled', 'AttemptMade', 'DeliverySucceeded']);
    const attempts = events.filter((e) => e.type === 'AttemptMade').map((e) => e.data);
    expect(attempts.map((a) => [a.attempt, a.trigger, a.response.status, a.outcome])).toEqual([
      [1, 'initial', 500, 'retryable'],
      [2, 'retry', 500, 'retryable'],
      [3, 'retry', 200, 'succeeded'],
    ]);
    expect(attempts[0].request).toMatchObject({ url: r.url, secretIds: [expect.stringMatching(/^sec_/)], bodyBytes: expect.any(Number), bodySha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(attempts[0].request.headers['webhook-id']).toBe(published.body.id);
    expect(events.every((e) => e.metadata.actor.type === 'system')).toBe(true);
  });

  it('fails at once on a 400, with one attempt', async () => {
    const r = await receiver((req) => ({ status: req.body.includes('webhook.test') ? 204 : 400, body: 'nope' }));
    const sub = await subscribe(r.url);
    const published = await publisher.post('/v1/events', { type: sub.type, data: {} });
    const events = await finalState(published.body.deliveries[0].id);
    expect(events.map((e) => e.type)).toEqual(['AttemptMade', 'DeliveryFailed']);
    expect(events[0]!.data).toMatchObject({ outcome: 'permanent', response: { status: 400, body: 'nope' } });
    expect(events[1]!.data.reason).toBe('permanent');
  });

  it('honours Retry-After on a 429', async () => {
    const r = await receiver((req, call) =>
      req.body.includes('webhook.test') ? { status: 204 } : call === 2 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 200 },
    );
    const sub = await subscribe(r.url);
    await r.waitFor(1);
    await publisher.post('/v1/events', { type: sub.type, data: {} });
    await r.waitFor(3);
    expect(r.received[2]!.at - r.received[1]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('records a receiver that never answers as a timeout', async () => {
    const r = await receiver((req) => (req.body.includes('webhook.test') ? { status: 204 } : { status: 200, hang: true }));
    const sub = await subscribe(r.url, { timeoutMs: 1000, retryPolicy: { schedule: ['0s'] } });
    const published = await publisher.post('/v1/events', { type: sub.type, data: {} });
    const events = await finalState(published.body.deliveries[0].id);
    expect(events[0]!.data).toMatchObject({ outcome: 'retryable', error: { class: 'timeout' }, response: null });
    expect(events[1]!).toMatchObject({ type: 'DeliveryFailed', data: { reason: 'exhausted' } });
  });

  it('disables the subscription on 410 Gone', async () => {
    const r = await receiver((req) => ({ status: req.body.includes('webhook.test') ? 204 : 410 }));
    const sub = await subscribe(r.url);
    const published = await publisher.post('/v1/events', { type: sub.type, data: {} });
    await finalState(published.body.deliveries[0].id);
    const disabled = await eventually(async () => {
      const got = await admin.get(`/v1/subscriptions/${sub.id}`);
      return got.body.status === 'disabled' ? got.body : undefined;
    });
    expect(disabled.disabledReason).toBe('gone');
    expect(readStream(service.dataDir, `subscription-${sub.id}`).at(-1)).toMatchObject({ type: 'SubscriptionDisabled', data: { reason: 'gone' } });
  });

  it('does not follow a 302: it is recorded as a redirect', async () => {
    const r = await receiver((req) => (req.body.includes('webhook.test') ? { status: 204 } : { status: 302, headers: { Location: '/elsewhere' } }));
    const sub = await subscribe(r.url);
    const published = await publisher.post('/v1/events', { type: sub.type, data: {} });
    const events = await finalState(published.body.deliveries[0].id);
    expect(events[0]!.data).toMatchObject({ error: { class: 'redirect' }, response: { status: 302, headers: { location: '/elsewhere' } } });
    expect(r.received.filter((q) => q.path === '/elsewhere')).toHaveLength(0);
  });

  it('fans out nothing new when the same id or the same batch is published again', async () => {
    const r = await receiver();
    await subscribe(r.url, { eventTypes: ['dup.*'] });
    const one = { type: 'dup.a', data: { x: 1 }, id: 'order-42' };
    const first = await publisher.post('/v1/events', one);
    const again = await publisher.post('/v1/events', one);
    const byHeader = await publisher.request('POST', '/v1/events', { type: 'dup.a', data: { x: 1 } }, { 'Idempotency-Key': 'order-42' });
    expect(again.body).toEqual(first.body);
    expect(byHeader.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const batch = { events: [{ type: 'dup.b', data: {}, id: 'b-1' }, { type: 'dup.b', data: {}, id: 'b-2' }, { type: 'bad type', data: {} }] };
    const b1 = await publisher.post('/v1/events/batch', batch);
    const b2 = await publisher.post('/v1/events/batch', batch);
    expect(b1.body.data.map((x: { status: number }) => x.status)).toEqual([202, 202, 400]);
    expect(b1.body.data[2].error.errors[0].field).toBe('events.2.type');
    expect(b2.body.data.slice(0, 2).map((x: { event: unknown }) => x.event)).toEqual(b1.body.data.slice(0, 2).map((x: { event: unknown }) => x.event));
    await r.waitFor(4);
    await new Promise((resolve) => setTimeout(resolve, 300)); // let any wrongly fanned-out duplicate arrive
    expect(r.events().map((q) => q.headers['webhook-id']).sort()).toEqual(['b-1', 'b-2', 'order-42']);
    const streams = readLedger(service.dataDir).filter((row) => row.type === 'EventCreated' && /\.(order-42|b-1|b-2)$/.test(row.stream));
    expect(streams).toHaveLength(3);
  });

  it('rejects bad events with a 400 naming the field, appending nothing; other roles and tenants cannot publish', async () => {
    const before = readLedger(service.dataDir).length;
    for (const [field, body] of [
      ['type', { data: {} }],
      ['type', { type: 'call.*', data: {} }],
      ['type', { type: 'a..b', data: {} }],
      ['data', { type: 'a.b' }],
      ['data', { type: 'a.b', data: [1] }],
      ['data', { type: 'a.b', data: 'x' }],
      ['id', { type: 'a.b', data: {}, id: 'has space' }],
      ['orderingKey', { type: 'a.b', data: {}, orderingKey: 'a b' }],
      ['extra', { type: 'a.b', data: {}, extra: 1 }],
    ] as const) {
      const response = await publisher.post('/v1/events', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await publisher.request('POST', '/v1/events', { type: 'a.b', data: {}, id: 'x' }, { 'Idempotency-Key': 'y' })).status).toBe(400);
    expect((await publisher.post('/v1/events/batch', { events: [] })).status).toBe(400);
    expect((await publisher.post('/v1/events/batch', { events: Array.from({ length: 101 }, () => ({ type: 'a.b', data: {} })) })).status).toBe(400);
    expect((await publisher.post('/v1/events', { type: 'a.b', data: { big: 'x'.repeat(300_000) } })).status).toBe(413);
    for (const key of [tenant.keys.admin.key, tenant.keys.auditor.key, tenant.keys.operator.key]) {
      expect((await service.api(key).post('/v1/events', { type: 'a.b', data: {} })).status).toBe(403);
    }
    expect(readLedger(service.dataDir).length).toBe(before);
    const other = await createTenant(service, 'other');
    const published = await publisher.post('/v1/events', { type: 'order.paid', data: {} });
    expect((await service.api(other.keys.auditor.key).get(`/v1/events/${published.body.id}`)).status).toBe(404);
    expect((await service.api(tenant.keys.auditor.key).get(`/v1/events/${published.body.id}`)).status).toBe(200);
  });
});
