import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger } from '../support/ledger-file.js';
import { createTenant, ROOT_KEY, Service, TenantKeys } from '../support/service.js';

describe('tenants and API keys', () => {
  let service: Service;
  let acme: TenantKeys;
  let globex: TenantKeys;

  beforeAll(async () => {
    service = await Service.start();
    acme = await createTenant(service, 'acme');
    globex = await createTenant(service, 'globex');
  });
  afterAll(() => service.dispose());

  const ledgerSize = () => readLedger(service.dataDir).length;

  it('issues keys shown once and stored only as a hash', async () => {
    const listed = await service.api(acme.keys.admin.key).get('/v1/api-keys');
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((k: { role: string }) => k.role).sort()).toEqual(['admin', 'auditor', 'operator', 'publisher']);
    const text = JSON.stringify(listed.body) + JSON.stringify(readLedger(service.dataDir));
    for (const { key } of Object.values(acme.keys)) expect(text).not.toContain(key);
    expect(text).not.toContain(ROOT_KEY);
  });

  it('records the actor, a correlation id, the time and the hash link on every ledger event', async () => {
    const response = await service.api(acme.keys.admin.key, { 'x-request-id': 'req-issue-1' }).post('/v1/api-keys', { name: 'ops', role: 'operator' });
    expect(response.status).toBe(201);
    const issued = readLedger(service.dataDir).find((r) => r.stream === `apikey-${response.body.id}`)!;
    const metadata = JSON.parse(issued.metadata);
    expect(metadata).toMatchObject({
      actor: { type: 'api_key', id: acme.keys.admin.id, name: 'admin-key', role: 'admin', tenantId: acme.tenantId },
      correlationId: 'req-issue-1',
      tenantId: acme.tenantId,
      prevHash: null,
    });
    expect(Date.parse(metadata.occurredAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('answers 401 without a key, with an unknown key and with a malformed header', async () => {
    const headerSets: Array<Record<string, string>> = [{}, { authorization: 'Bearer hlk_01M83VP69H7KVREEGRA05KCB4H_5zlrwY8u2ZC0bW95A9rMdxhHlmHGfFuJEzS36SuAK4k' }, { authorization: 'Bearer nope' }, { authorization: 'Basic abc' }];
    for (const headers of headerSets) {
      const response = await service.api('', headers).get('/v1/api-keys');
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('refuses a revoked key on the very next request', async () => {
    const issued = await service.api(acme.keys.admin.key).post('/v1/api-keys', { name: 'temp', role: 'auditor' });
    const temp = service.api(issued.body.key);
    expect((await temp.get('/v1/api-keys')).status).toBe(200);
    expect((await service.api(acme.keys.admin.key).delete(`/v1/api-keys/${issued.body.id}`)).status).toBe(204);
    const after = await temp.get('/v1/api-keys');
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('AUTH.INVALID_KEY');
    const listed = await service.api(acme.keys.admin.key).get('/v1/api-keys');
    expect(listed.body.data.find((k: { id: string }) => k.id === issued.body.id)).toMatchObject({ status: 'revoked' });
    expect((await service.api(acme.keys.admin.key).delete(`/v1/api-keys/${issued.body.id}`)).status).toBe(204);
  });

  it('answers 403 to a role without the permission, changing nothing', async () => {
    const before = ledgerSize();
    const cases: Array<[string, string, string, unknown?]> = [
      [acme.keys.publisher.key, 'GET', '/v1/api-keys'],
      [acme.keys.auditor.key, 'POST', '/v1/api-keys', { name: 'x', role: 'admin' }],
      [acme.keys.operator.key, 'POST', '/v1/api-keys', { name: 'x', role: 'admin' }],
      [acme.keys.auditor.key, 'DELETE', `/v1/api-keys/${acme.keys.publisher.id}`],
      [acme.keys.admin.key, 'POST', '/v1/tenants', { name: 'mine' }],
      [acme.keys.admin.key, 'GET', '/v1/tenants'],
    ];
    for (const [key, method, path, body] of cases) {
      const response = await service.api(key).request(method, path, body);
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.body.code).toMatch(/^AUTH\./);
    }
    expect(ledgerSize()).toBe(before);
  });

  it("answers 404 for another tenant's key, exactly like a missing one", async () => {
    const before = ledgerSize();
    const admin = service.api(globex.keys.admin.key);
    const other = await admin.delete(`/v1/api-keys/${acme.keys.publisher.id}`);
    const missing = await admin.delete('/v1/api-keys/key_01M83VP69H7KVREEGRA05KCB4H');
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(other.body.code).toBe(missing.body.code);
    const foreignTenant = await admin.post('/v1/api-keys', { name: 'x', role: 'admin', tenantId: acme.tenantId });
    expect(foreignTenant.status).toBe(404);
    expect((await admin.get('/v1/api-keys')).body.data.every((k: { tenantId: string }) => k.tenantId === globex.tenantId)).toBe(true);
    expect((await service.api(acme.keys.publisher.key).get('/health')).status).toBe(200);
    expect(ledgerSize()).toBe(before);
  });

  it('lets the root key act in a tenant only when it names one', async () => {
    const root = service.api();
    const unnamed = await root.get('/v1/api-keys');
    expect(unnamed.status).toBe(403);
    expect(unnamed.body.code).toBe('AUTH.TENANT_REQUIRED');
    expect((await root.post('/v1/api-keys', { name: 'x', role: 'admin' })).status).toBe(403);
    const named = await service.api(ROOT_KEY, { 'hookledger-tenant': globex.tenantId }).get('/v1/api-keys');
    expect(named.status).toBe(200);
    expect(named.body.data).toHaveLength(4);
    expect((await service.api(ROOT_KEY, { 'hookledger-tenant': 'acme' }).get('/v1/api-keys')).status).toBe(403);
    const unknownTenant = await root.post('/v1/api-keys', { name: 'x', role: 'admin', tenantId: 'ten_01M83VP69H7KVREEGRA05KCB4H' });
    expect(unknownTenant.status).toBe(404);
    expect(unknownTenant.body.code).toBe('TENANT.NOT_FOUND');
  });

  it('rejects bad input with a 400 naming the field, changing nothing', async () => {
    const before = ledgerSize();
    const admin = service.api(acme.keys.admin.key);
    const root = service.api();
    const cases: Array<[ReturnType<Service['api']>, string, unknown, string]> = [
      [root, '/v1/tenants', {}, 'name'],
      [root, '/v1/tenants', { name: '' }, 'name'],
      [root, '/v1/tenants', { name: '   ' }, 'name'],
      [root, '/v1/tenants', { name: 42 }, 'name'],
      [root, '/v1/tenants', { name: 'x'.repeat(201) }, 'name'],
      [root, '/v1/tenants', { name: 'ok', plan: 'gold' }, 'plan'],
      [admin, '/v1/api-keys', { name: 'x' }, 'role'],
      [admin, '/v1/api-keys', { name: 'x', role: 'root' }, 'role'],
      [admin, '/v1/api-keys', { role: 'admin' }, 'name'],
      [admin, '/v1/api-keys', { name: 'x', role: 'admin', tenantId: 'acme' }, 'tenantId'],
      [admin, '/v1/api-keys', { name: 'x', role: 'admin', scopes: ['*'] }, 'scopes'],
    ];
    for (const [api, path, body, field] of cases) {
      const response = await api.post(path, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const notAnObject = await root.post('/v1/tenants', '[1,2]');
    expect(notAnObject.status).toBe(400);
    const revokeBadId = await admin.delete('/v1/api-keys/../../tenants');
    expect(revokeBadId.status).toBe(404);
    expect(ledgerSize()).toBe(before);
  });
});
