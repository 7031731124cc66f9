import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger } from '../support/ledger-file.js';
import { eventually, Received, Receiver } from '../support/receiver.js';
import { Api, createTenant, ROOT_KEY, Service, TenantKeys } from '../support/service.js';

type Role = 'admin' | 'operator' | 'auditor' | 'publisher';
const ROLES: Role[] = ['admin', 'operator', 'auditor', 'publisher'];
const READ = ['events:read', 'subscriptions:read', 'deliveries:read', 'keys:read', 'audit:read'];
const OPERATE = ['subscriptions:operate', 'deliveries:replay'];
/** README "Auth", as a table the service is checked against (not read from its code). */
const PERMISSIONS: Record<Role, string[]> = {
  admin: [...READ, ...OPERATE, 'subscriptions:write', 'subscriptions:secret', 'keys:manage'],
  operator: ['events:read', 'subscriptions:read', 'deliveries:read', ...OPERATE],
  auditor: READ,
  publisher: ['events:publish'],
};

/**
 * Who may call each documented operation: `public`, `root`, or a permission. A route the service
 * documents but this table does not know fails the matrix test, so a new route gets classified.
 */
const RULES: Record<string, string> = {
  'GET /health': 'public',
  'GET /ready': 'public',
  'GET /metrics': 'public',
  'POST /v1/tenants': 'root',
  'GET /v1/tenants': 'root',
  'POST /v1/api-keys': 'keys:manage',
  'GET /v1/api-keys': 'keys:read',
  'DELETE /v1/api-keys/{id}': 'keys:manage',
  'POST /v1/subscriptions': 'subscriptions:write',
  'GET /v1/subscriptions': 'subscriptions:read',
  'GET /v1/subscriptions/{id}': 'subscriptions:read',
  'PATCH /v1/subscriptions/{id}': 'subscriptions:write',
  'DELETE /v1/subscriptions/{id}': 'subscriptions:write',
  'POST /v1/subscriptions/{id}/pause': 'subscriptions:operate',
  'POST /v1/subscriptions/{id}/resume': 'subscriptions:operate',
  'POST /v1/subscriptions/{id}/disable': 'subscriptions:operate',
  'POST /v1/subscriptions/{id}/test': 'subscriptions:operate',
  'POST /v1/subscriptions/{id}/rotate-secret': 'subscriptions:write',
  'GET /v1/subscriptions/{id}/secret': 'subscriptions:secret',
  'GET /v1/subscriptions/{id}/history': 'subscriptions:read',
  'POST /v1/subscriptions/{id}/replay': 'deliveries:replay',
  'POST /v1/subscriptions/{id}/backfill': 'deliveries:replay',
  'GET /v1/jobs/{id}': 'deliveries:read',
  'POST /v1/events': 'events:publish',
  'POST /v1/events/batch': 'events:publish',
  'GET /v1/events': 'events:read',
  'GET /v1/events/{id}': 'events:read',
  'GET /v1/events/{id}/routing': 'events:read',
  'GET /v1/deliveries': 'deliveries:read',
  'GET /v1/deliveries/{id}': 'deliveries:read',
  'POST /v1/deliveries/{id}/replay': 'deliveries:replay',
  'GET /v1/audit': 'audit:read',
  'GET /v1/ledger': 'audit:read',
  'GET /v1/ledger/verify': 'audit:read',
};

/** Valid bodies, so that a refusal is about who asks, never about what they sent. */
const BODIES: Record<string, unknown> = {
  'POST /v1/tenants': { name: 'intruder' },
  'POST /v1/api-keys': { name: 'intruder', role: 'admin' },
  'POST /v1/subscriptions': { url: 'https://192.0.2.10/intruder', eventTypes: ['x.y'] },
  'PATCH /v1/subscriptions/{id}': { description: 'changed by an intruder' },
  'POST /v1/subscriptions/{id}/rotate-secret': {},
  'POST /v1/subscriptions/{id}/replay': { since: '2020-01-01T00:00:00Z', status: ['failed', 'cancelled'] },
  'POST /v1/subscriptions/{id}/backfill': { since: '2020-01-01T00:00:00Z' },
  'POST /v1/events': { type: 'order.created', data: { intruder: true } },
  'POST /v1/events/batch': { events: [{ type: 'order.created', data: { intruder: true } }] },
  'POST /v1/deliveries/{id}/replay': { reason: 'intruder' },
};

describe('secrets and tenant isolation', () => {
  let service: Service;
  let receiver: Receiver;
  let acme: TenantKeys;
  let globex: TenantKeys;
  /** Every secret the scenario handled, as shown once by the API. */
  const secrets = new Map<string, string>();
  const ids: Record<'subscription' | 'delivery' | 'event' | 'apiKey' | 'job', string> = { subscription: '', delivery: '', event: '', apiKey: '', job: '' };
  const customToken = `tok_${randomBytes(12).toString('hex')}`;

  /** A scenario touching every kind of secret: generated, given and rotated signing secrets, keys issued and revoked, deliveries retried and replayed. */
  beforeAll(async () => {
    service = await Service.start({ env: { HOOKLEDGER_LOG_LEVEL: 'debug' } });
    const calls = new Map<string, number>();
    receiver = await Receiver.start((r: Received) => {
      const id = String(r.headers['webhook-id']);
      calls.set(id, (calls.get(id) ?? 0) + 1);
      return { status: r.body.includes('"webhook.test"') || calls.get(id)! > 1 ? 200 : 500 };
    });
    acme = await createTenant(service, 'acme');
    globex = await createTenant(service, 'globex');
    for (const [tenant, keys] of [['acme', acme], ['globex', globex]] as const) for (const role of ROLES) secrets.set(`${tenant} ${role} key`, keys.keys[role].key);
    secrets.set('root key', ROOT_KEY);

    const admin = service.api(acme.keys.admin.key);
    const generated = await admin.post('/v1/subscriptions', { url: receiver.url, eventTypes: ['order.*'], retryPolicy: { schedule: ['0s', '50ms'] } });
    const given = `whsec_${randomBytes(32).toString('base64')}`;
    const own = await admin.post('/v1/subscriptions', {
      url: receiver.url,
      eventTypes: ['order.*'],
      secret: given,
      headers: { Authorization: `Bearer ${customToken}` },
      retryPolicy: { schedule: ['0s', '50ms'] },
    });
    expect([generated.status, own.status]).toEqual([201, 201]);
    secrets.set('generated secret', generated.body.secret);
    secrets.set('given secret', given);
    ids.subscription = generated.body.id;
    const rotated = await admin.post(`/v1/subscriptions/${generated.body.id}/rotate-secret`, {});
    const givenRotation = `whsec_${randomBytes(32).toString('base64')}`;
    expect((await admin.post(`/v1/subscriptions/${own.body.id}/rotate-secret`, { secret: givenRotation })).status).toBe(200);
    secrets.set('rotated secret', rotated.body.secret);
    secrets.set('given rotated secret', givenRotation);
    expect((await admin.get(`/v1/subscriptions/${generated.body.id}/secret`)).body.secret).toBe(rotated.body.secret);

    const issued = await admin.post('/v1/api-keys', { name: 'short-lived', role: 'operator' });
    secrets.set('issued and revoked key', issued.body.key);
    expect((await service.api(issued.body.key).get('/v1/events')).status).toBe(200);
    expect((await admin.delete(`/v1/api-keys/${issued.body.id}`)).status).toBe(204);
    ids.apiKey = acme.keys.auditor.id;

    const publisher = service.api(acme.keys.publisher.key);
    for (let n = 0; n < 3; n++) {
      const published = await publisher.post('/v1/events', { type: 'order.created', data: { n } });
      expect(published.status).toBe(202);
      ids.event = published.body.id;
      ids.delivery = published.body.deliveries.find((d: { subscriptionId: string }) => d.subscriptionId === ids.subscription).id;
    }
    const operator = service.api(acme.keys.operator.key);
    await eventually(async () => (await operator.get('/v1/deliveries?status=pending')).body.data.length === 0, 15_000, 'deliveries to settle');
    expect((await operator.post(`/v1/deliveries/${ids.delivery}/replay`, { reason: 'check' })).status).toBe(202);
    const job = await operator.post(`/v1/subscriptions/${ids.subscription}/replay`, { since: '2020-01-01T00:00:00Z', status: ['failed', 'cancelled'] });
    expect(job.status).toBe(202);
    ids.job = job.body.jobId;
    expect((await operator.post(`/v1/subscriptions/${ids.subscription}/test`)).status).toBe(202);
    await eventually(async () => (await operator.get('/v1/deliveries?status=pending')).body.data.length === 0, 15_000, 'deliveries to settle');

    // What was delivered was signed with the current secrets.
    const last = receiver.received.at(-1)!;
    const headers = { 'webhook-id': String(last.headers['webhook-id']), 'webhook-timestamp': String(last.headers['webhook-timestamp']), 'webhook-signature': String(last.headers['webhook-signature']) };
    expect(() => new Webhook(rotated.body.secret).verify(last.body, headers)).not.toThrow();
  });
  afterAll(async () => {
    await service?.dispose();
    await receiver?.close();
  });

  /** The forms a secret could leak in: whole, and its key material alone (the base64 of a whsec_, the part after a key's id). */
  function leaks(text: string): string[] {
    return [...secrets].flatMap(([name, secret]) => {
      // A key is hlk_<id>_<secret>; the secret is base64url and may itself hold '_': split at the first one after the id.
      const material = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret.startsWith('hlk_') ? secret.slice(secret.indexOf('_', 'hlk_'.length) + 1) : secret;
      return text.includes(secret) || text.includes(material) ? [name] : [];
    });
  }

  it('keeps every secret out of the logs', () => {
    expect(service.allOutput.length).toBeGreaterThan(10_000);
    expect(leaks(service.allOutput)).toEqual([]);
    const masterKey = readFileSync(join(service.dataDir, 'master.key'), 'utf8').trim();
    expect(service.allOutput).not.toContain(masterKey);
  });

  it('keeps every secret out of the ledger, and custom credentials out of attempt records', () => {
    const rows = readLedger(service.dataDir);
    expect(leaks(rows.map((r) => r.data + r.metadata).join('\n'))).toEqual([]);
    const attempts = rows.filter((r) => r.type === 'AttemptMade');
    expect(attempts.length).toBeGreaterThan(5);
    expect(leaks(attempts.map((r) => r.data).join('\n'))).toEqual([]);
    expect(attempts.map((r) => r.data).join('\n')).not.toContain(customToken);
  });

  it('keeps every secret out of what the API serves about deliveries and history', async () => {
    const auditor = service.api(acme.keys.auditor.key);
    const served = [
      await auditor.get(`/v1/deliveries/${ids.delivery}`),
      await auditor.get('/v1/deliveries?limit=200'),
      await auditor.get(`/v1/subscriptions/${ids.subscription}/history`),
      await auditor.get('/v1/subscriptions'),
      await auditor.get('/v1/api-keys'),
    ];
    for (const response of served) expect(response.status).toBe(200);
    const text = served.map((r) => JSON.stringify(r.body)).join('\n');
    expect(leaks(text)).toEqual([]);
    expect(text).not.toContain(customToken);
  });

  it('keeps every secret out of the export and the audit trail (where the service has them)', async () => {
    const auditor = service.api(acme.keys.auditor.key);
    const exported = await auditor.get('/v1/ledger');
    if (exported.status === 404) console.warn('secrets: GET /v1/ledger answers 404 here; the export is not checked');
    else {
      expect(exported.status).toBe(200);
      const text = typeof exported.body === 'string' ? exported.body : JSON.stringify(exported.body);
      expect(text.split('\n').filter(Boolean).length).toBeGreaterThan(10);
      expect(leaks(text)).toEqual([]);
    }
    const trail: unknown[] = [];
    let page = await auditor.get('/v1/audit?limit=200');
    if (page.status === 404) console.warn('secrets: GET /v1/audit answers 404 here; the audit trail is not checked');
    else {
      for (;;) {
        expect(page.status).toBe(200);
        trail.push(...page.body.data);
        if (!page.body.nextCursor) break;
        page = await auditor.get(`/v1/audit?limit=200&cursor=${page.body.nextCursor}`);
      }
      expect(trail.length).toBeGreaterThan(5);
      expect(leaks(JSON.stringify(trail))).toEqual([]);
    }
  });

  it('answers 403 to every role without the permission and 404 to another tenant, on every documented route, changing nothing', async () => {
    const doc = await service.api('').get('/docs-json');
    const operations = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.filter((op) => !(op in RULES)), 'documented routes missing from the access table').toEqual([]);

    const concrete = (path: string) =>
      path.replace('{id}', () => {
        const resource = /^\/v1\/(api-keys|subscriptions|events|deliveries|jobs)\//.exec(path)?.[1];
        const id = { 'api-keys': ids.apiKey, subscriptions: ids.subscription, events: ids.event, deliveries: ids.delivery, jobs: ids.job }[resource ?? ''];
        if (!id) throw new Error(`no resource of acme to put in ${path}`);
        return id;
      });
    const nonDelivery = () => readLedger(service.dataDir).filter((r) => !r.stream.startsWith('delivery-')).length;
    const before = nonDelivery();
    const wrong: string[] = [];
    let calls = 0;
    const expectStatus = async (api: Api, operation: string, expected: number, who: string) => {
      const [method, path] = operation.split(' ') as [string, string];
      const response = await api.request(method, concrete(path), BODIES[operation]);
      calls++;
      const problem = response.headers.get('content-type')?.includes('application/problem+json');
      if (response.status !== expected || !problem) wrong.push(`${who} ${method} ${concrete(path)} → ${response.status} (expected ${expected}) ${JSON.stringify(response.body).slice(0, 160)}`);
      return response;
    };

    for (const operation of operations) {
      const rule = RULES[operation]!;
      if (rule === 'public') continue;
      for (const role of ROLES) {
        if (rule === 'root' || !PERMISSIONS[role].includes(rule)) await expectStatus(service.api(acme.keys[role].key), operation, 403, `acme ${role}`);
      }
      if (rule === 'root') continue;
      const allowed = ROLES.find((role) => PERMISSIONS[role].includes(rule))!;
      const intruder = service.api(globex.keys[allowed].key);
      if (operation.includes('{id}')) await expectStatus(intruder, operation, 404, `globex ${allowed}`);
      else if (operation.startsWith('GET ')) {
        // A list seen from the other tenant holds nothing of acme's.
        const [, path] = operation.split(' ') as [string, string];
        const listed = await intruder.get(path);
        calls++;
        const text = typeof listed.body === 'string' ? listed.body : JSON.stringify(listed.body);
        for (const [name, id] of Object.entries({ ...ids, tenant: acme.tenantId })) if (text.includes(id)) wrong.push(`globex ${allowed} ${operation} shows acme's ${name}`);
      }
    }
    // Naming the other tenant where a route takes a tenant id.
    const named = await service.api(globex.keys.admin.key).post('/v1/api-keys', { name: 'intruder', role: 'admin', tenantId: acme.tenantId });
    calls++;
    if (named.status !== 404) wrong.push(`globex admin POST /v1/api-keys naming acme → ${named.status}`);

    console.log(`isolation: ${operations.length} documented operations, ${calls} calls with the wrong role or the wrong tenant`);
    expect(wrong).toEqual([]);
    expect(nonDelivery()).toBe(before);
  });
});
