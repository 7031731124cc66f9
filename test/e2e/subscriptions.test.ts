import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger } from '../support/ledger-file.js';
import { Api, createTenant, Service, TenantKeys } from '../support/service.js';

// A documentation address: the SSRF guard refuses it before any connection, so the test event
// every new subscription gets fails at once and no traffic leaves the machine.
const valid = { url: 'https://192.0.2.10/in', eventTypes: ['call.completed', 'call.*'] };

describe('subscriptions', () => {
  let service: Service;
  let acme: TenantKeys;
  let globex: TenantKeys;
  let admin: Api;

  beforeAll(async () => {
    service = await Service.start({ env: { HOOKLEDGER_ALLOW_INSECURE_URLS: 'false' } });
    acme = await createTenant(service, 'acme');
    globex = await createTenant(service, 'globex');
    admin = service.api(acme.keys.admin.key);
  });
  afterAll(() => service.dispose());

  /** Events a request could have appended: delivery streams move on their own (test events). */
  const ledgerSize = () => readLedger(service.dataDir).filter((row) => !row.stream.startsWith('delivery-')).length;

  it('goes through create → get → patch → pause → resume → rotate → delete, each step in the history with its actor', async () => {
    const created = await admin.post('/v1/subscriptions', { ...valid, description: 'calls', headers: { 'X-Team': 'core' } });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const id = created.body.id;
    expect(id).toMatch(/^sub_/);
    expect(created.body).toMatchObject({
      status: 'active',
      url: valid.url,
      eventTypes: valid.eventTypes,
      timeoutMs: 15000,
      maxConcurrency: 10,
      ordering: 'none',
      payload: 'envelope',
      signature: { scheme: 'standard' },
      retryPolicy: { schedule: ['0s', '5s', '30s', '2m', '10m', '30m', '1h', '3h', '6h', '12h'], retryAllFailures: false },
    });

    const operator = service.api(acme.keys.operator.key);
    const got = await operator.get(`/v1/subscriptions/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.secret).toBeUndefined();
    expect(JSON.stringify(got.body)).not.toContain(created.body.secret);

    const patched = await admin.patch(`/v1/subscriptions/${id}`, { url: 'https://192.0.2.11/v2', filter: { tier: ['gold'] } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ url: 'https://192.0.2.11/v2', filter: { tier: ['gold'] } });
    const cleared = await admin.patch(`/v1/subscriptions/${id}`, { filter: null });
    expect(cleared.body.filter).toBeNull();

    expect((await operator.post(`/v1/subscriptions/${id}/pause`)).body.status).toBe('paused');
    expect((await operator.post(`/v1/subscriptions/${id}/resume`)).body.status).toBe('active');
    const rotated = await admin.post(`/v1/subscriptions/${id}/rotate-secret`, {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    const secret = await admin.get(`/v1/subscriptions/${id}/secret`);
    expect(secret.body.secret).toBe(rotated.body.secret);

    expect((await admin.delete(`/v1/subscriptions/${id}`)).status).toBe(204);
    expect((await admin.get(`/v1/subscriptions/${id}`)).status).toBe(404);
    const resumeDeleted = await operator.post(`/v1/subscriptions/${id}/resume`);
    expect(resumeDeleted.status).toBe(409);
    expect(resumeDeleted.body.code).toBe('SUBSCRIPTION.DELETED');

    const history = await service.api(acme.keys.auditor.key).get(`/v1/subscriptions/${id}/history`);
    expect(history.status).toBe(200);
    expect(history.body.data.map((e: { type: string }) => e.type)).toEqual([
      'SubscriptionCreated',
      'SubscriptionUpdated',
      'SubscriptionUpdated',
      'SubscriptionPaused',
      'SubscriptionResumed',
      'SubscriptionSecretRotated',
      'SubscriptionDeleted',
    ]);
    expect(history.body.data.map((e: { actor: { name: string } }) => e.actor.name)).toEqual([
      'admin-key',
      'admin-key',
      'admin-key',
      'operator-key',
      'operator-key',
      'admin-key',
      'admin-key',
    ]);
    expect(history.body.data[1].changes).toEqual({
      url: { from: valid.url, to: 'https://192.0.2.11/v2' },
      filter: { from: null, to: { tier: ['gold'] } },
    });
    for (const entry of history.body.data) expect(Date.parse(entry.at)).toBeGreaterThan(0);
    const text = JSON.stringify(history.body);
    expect(text).not.toContain(created.body.secret);
    expect(text).not.toContain(rotated.body.secret);
  });

  it('never holds a secret in clear in the ledger file or the logs', async () => {
    const created = await admin.post('/v1/subscriptions', valid);
    const rotated = await admin.post(`/v1/subscriptions/${created.body.id}/rotate-secret`, {});
    const given = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const own = await admin.post('/v1/subscriptions', { ...valid, secret: given });
    expect(own.body.secret).toBe(given);
    const raw = JSON.stringify(readLedger(service.dataDir));
    await service.stop();
    const { readFileSync, readdirSync } = await import('node:fs');
    const files = readdirSync(service.dataDir).map((f) => readFileSync(`${service.dataDir}/${f}`).toString('latin1'));
    await service.restart();
    for (const secret of [created.body.secret, rotated.body.secret, given]) {
      const base64 = secret.slice('whsec_'.length);
      expect(raw).not.toContain(base64);
      expect(service.allOutput).not.toContain(base64);
      for (const file of files) expect(file).not.toContain(base64);
    }
  });

  it('lists with a status filter and cursor pagination', async () => {
    const tenant = await createTenant(service, 'paging');
    const api = service.api(tenant.keys.admin.key);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.post('/v1/subscriptions', valid)).body.id);
    await api.post(`/v1/subscriptions/${ids[1]}/pause`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ id: string }>; nextCursor: string | null } } = await api.get(
        `/v1/subscriptions?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.data.map((s) => s.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
    const paused = await api.get('/v1/subscriptions?status=paused');
    expect(paused.body.data.map((s: { id: string }) => s.id)).toEqual([ids[1]]);
    for (const bad of ['status=gone', 'limit=0', 'limit=201', 'limit=x', 'cursor=%2F%2F', 'cursor=abc', 'sort=id']) {
      const response = await api.get(`/v1/subscriptions?${bad}`);
      expect(response.status, bad).toBe(400);
    }
  });

  it.each([
    ['url', { ...valid, url: 'http://hooks.example.com/in' }],
    ['url', { ...valid, url: 'not a url' }],
    ['url', { ...valid, url: `https://example.com/${'a'.repeat(2048)}` }],
    ['url', { ...valid, url: 'https://user:pw@example.com/' }],
    ['url', { eventTypes: valid.eventTypes }],
    ['eventTypes', { ...valid, eventTypes: [] }],
    ['eventTypes', { ...valid, eventTypes: ['bad type'] }],
    ['eventTypes', { ...valid, eventTypes: ['call*'] }],
    ['eventTypes', { ...valid, eventTypes: ['x'.repeat(129)] }],
    ['eventTypes', { ...valid, eventTypes: Array.from({ length: 101 }, (_, i) => `t${i}`) }],
    ['eventTypes', { ...valid, eventTypes: 'call.*' }],
    ['headers', { ...valid, headers: { Host: 'evil' } }],
    ['headers', { ...valid, headers: { 'webhook-signature': 'x' } }],
    ['headers', { ...valid, headers: { 'Transfer-Encoding': 'x' } }],
    ['headers', { ...valid, headers: { 'X-Big': 'v'.repeat(1025) } }],
    ['headers', { ...valid, headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v'])) }],
    ['headers', { ...valid, headers: { 'bad name': 'v' } }],
    ['retryPolicy.schedule', { ...valid, retryPolicy: { schedule: [] } }],
    ['retryPolicy.schedule', { ...valid, retryPolicy: { schedule: ['25h'] } }],
    ['retryPolicy.schedule', { ...valid, retryPolicy: { schedule: ['soon'] } }],
    ['retryPolicy.schedule', { ...valid, retryPolicy: { schedule: Array.from({ length: 21 }, () => '1s') } }],
    ['retryPolicy.retryAllFailures', { ...valid, retryPolicy: { schedule: ['1s'], retryAllFailures: 'yes' } }],
    ['retryPolicy.extra', { ...valid, retryPolicy: { schedule: ['1s'], extra: 1 } }],
    ['timeoutMs', { ...valid, timeoutMs: 999 }],
    ['timeoutMs', { ...valid, timeoutMs: 30001 }],
    ['maxConcurrency', { ...valid, maxConcurrency: 0 }],
    ['maxConcurrency', { ...valid, maxConcurrency: 101 }],
    ['rateLimitPerSecond', { ...valid, rateLimitPerSecond: 0 }],
    ['rateLimitPerSecond', { ...valid, rateLimitPerSecond: 10001 }],
    ['secret', { ...valid, secret: 'whsec_short' }],
    ['secret', { ...valid, secret: 'not-a-secret' }],
    ['secret', { ...valid, secret: `whsec_${Buffer.alloc(65).toString('base64')}` }],
    ['filter', { ...valid, filter: { 'a b': 1 } }],
    ['filter', { ...valid, filter: { nested: { x: 1 } } }],
    ['filter', { ...valid, filter: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 1])) }],
    ['ordering', { ...valid, ordering: 'fifo' }],
    ['payload', { ...valid, payload: 'xml' }],
    ['signature.scheme', { ...valid, signature: { scheme: 'md5' } }],
    ['signature.header', { ...valid, signature: { scheme: 'hmac-sha256-hex' } }],
    ['description', { ...valid, description: 'd'.repeat(501) }],
    ['unknownField', { ...valid, unknownField: true }],
  ])('rejects a bad %s with a 400 naming it, appending nothing', async (field, body) => {
    const before = ledgerSize();
    const response = await admin.post('/v1/subscriptions', body);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(ledgerSize()).toBe(before);
  });

  it('rejects bad PATCH bodies, appending nothing', async () => {
    const { body } = await admin.post('/v1/subscriptions', valid);
    const before = ledgerSize();
    for (const [field, patch] of [
      ['url', { url: null }],
      ['eventTypes', { eventTypes: null }],
      ['url', { url: 'ftp://x.example' }],
      ['timeoutMs', { timeoutMs: 'fast' }],
      ['secret', { secret: `whsec_${Buffer.alloc(32).toString('base64')}` }],
    ] as const) {
      const response = await admin.patch(`/v1/subscriptions/${body.id}`, patch);
      expect(response.status, JSON.stringify(patch)).toBe(400);
      expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const rotate = await admin.post(`/v1/subscriptions/${body.id}/rotate-secret`, { secret: 'whsec_x' });
    expect(rotate.status).toBe(400);
    expect(ledgerSize()).toBe(before);
  });

  it('refuses writes to auditors and operators and reads to publishers (403), changing nothing', async () => {
    const { body } = await admin.post('/v1/subscriptions', valid);
    const before = ledgerSize();
    const auditor = service.api(acme.keys.auditor.key);
    const operator = service.api(acme.keys.operator.key);
    const publisher = service.api(acme.keys.publisher.key);
    const denied: Array<[Api, string, string, unknown?]> = [
      [auditor, 'POST', '/v1/subscriptions', valid],
      [auditor, 'PATCH', `/v1/subscriptions/${body.id}`, { description: 'x' }],
      [auditor, 'POST', `/v1/subscriptions/${body.id}/pause`],
      [auditor, 'POST', `/v1/subscriptions/${body.id}/rotate-secret`, {}],
      [auditor, 'DELETE', `/v1/subscriptions/${body.id}`],
      [auditor, 'GET', `/v1/subscriptions/${body.id}/secret`],
      [operator, 'POST', '/v1/subscriptions', valid],
      [operator, 'PATCH', `/v1/subscriptions/${body.id}`, { description: 'x' }],
      [operator, 'GET', `/v1/subscriptions/${body.id}/secret`],
      [publisher, 'GET', '/v1/subscriptions'],
      [publisher, 'GET', `/v1/subscriptions/${body.id}`],
      [publisher, 'GET', `/v1/subscriptions/${body.id}/history`],
    ];
    for (const [api, method, path, payload] of denied) {
      expect((await api.request(method, path, payload)).status, `${method} ${path}`).toBe(403);
    }
    expect((await auditor.get(`/v1/subscriptions/${body.id}`)).status).toBe(200);
    expect((await auditor.get(`/v1/subscriptions/${body.id}/history`)).status).toBe(200);
    expect(ledgerSize()).toBe(before);
  });

  it("answers 404 to another tenant's key on every route, changing nothing", async () => {
    const { body } = await admin.post('/v1/subscriptions', valid);
    const before = ledgerSize();
    const other = service.api(globex.keys.admin.key);
    for (const [method, path, payload] of [
      ['GET', `/v1/subscriptions/${body.id}`],
      ['GET', `/v1/subscriptions/${body.id}/history`],
      ['GET', `/v1/subscriptions/${body.id}/secret`],
      ['PATCH', `/v1/subscriptions/${body.id}`, { description: 'x' }],
      ['POST', `/v1/subscriptions/${body.id}/pause`],
      ['POST', `/v1/subscriptions/${body.id}/resume`],
      ['POST', `/v1/subscriptions/${body.id}/disable`],
      ['POST', `/v1/subscriptions/${body.id}/rotate-secret`, {}],
      ['DELETE', `/v1/subscriptions/${body.id}`],
      ['GET', '/v1/subscriptions/sub_01M83VP69H7KVREEGRA05KCB4H'],
      ['GET', '/v1/subscriptions/not-an-id'],
    ] as Array<[string, string, unknown?]>) {
      const response = await other.request(method, path, payload);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.code).toBe('SUBSCRIPTION.NOT_FOUND');
    }
    expect((await other.get('/v1/subscriptions')).body.data.find((s: { id: string }) => s.id === body.id)).toBeUndefined();
    expect(ledgerSize()).toBe(before);
  });
});
