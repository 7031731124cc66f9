import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger } from '../support/ledger-file.js';
import { createTenant, ROOT_KEY, Service, TenantKeys } from '../support/service.js';

describe('operations and the HTTP contract', () => {
  let service: Service;
  let acme: TenantKeys;

  beforeAll(async () => {
    service = await Service.start({ env: { HOOKLEDGER_MAX_PAYLOAD_BYTES: '2048' } });
    acme = await createTenant(service);
  });
  afterAll(() => service.dispose());

  it('answers /health and /ready without a key', async () => {
    const anonymous = service.api('');
    expect((await anonymous.get('/health')).body).toEqual({ status: 'ok' });
    const ready = await anonymous.get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', eventStore: 'ok', projections: { status: 'live' } });
    const ledger = readLedger(service.dataDir);
    expect(BigInt(ready.body.projections.checkpoint)).toBe(BigInt(ledger[ledger.length - 1]!.position));
  });

  it('serves Prometheus metrics with route templates as labels', async () => {
    await service.api(acme.keys.admin.key).get('/v1/api-keys');
    const metrics = await service.api('').get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(metrics.body).toMatch(/hookledger_http_requests_total\{method="GET",route="\/v1\/api-keys",status="200"\} \d+/);
    expect(metrics.body).toContain('hookledger_projections_live 1');
    expect(metrics.body).toContain('hookledger_process_resident_memory_bytes');
  });

  it('times the ledger\'s durable writes and counts the appends they held', async () => {
    const read = async () => {
      const body = (await service.api('').get('/metrics')).body as string;
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(body)?.[1]);
      return { commits: value('hookledger_ledger_commit_seconds_count'), appends: value('hookledger_ledger_committed_appends_total') };
    };
    const before = await read();
    expect(before.commits).toBeGreaterThan(0);
    expect((await service.api(acme.keys.admin.key).post('/v1/api-keys', { name: 'metrics', role: 'auditor' })).status).toBe(201);
    const after = await read();
    expect(after.commits).toBeGreaterThan(before.commits);
    expect(after.appends - before.appends).toBeGreaterThanOrEqual(after.commits - before.commits);
  });

  it('documents every route in the OpenAPI document and serves the UI', async () => {
    const doc = await service.api('').get('/docs-json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/health', '/metrics', '/ready', '/v1/api-keys', '/v1/api-keys/{id}', '/v1/tenants', '/v1/subscriptions', '/v1/events']),
    );
    for (const [path, operations] of Object.entries(doc.body.paths as Record<string, Record<string, { summary?: string }>>)) {
      for (const [method, operation] of Object.entries(operations)) expect(operation.summary, `${method} ${path}`).toBeTruthy();
    }
    expect(doc.body.components.securitySchemes.bearer).toBeDefined();
    const ui = await fetch(`${service.url}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it('answers 413 for a body over the limit, 415 for another content type, 400 for broken JSON — all problem+json, nothing stored', async () => {
    const before = readLedger(service.dataDir).length;
    const root = service.api();
    const big = await root.post('/v1/tenants', { name: 'x', padding: 'y'.repeat(4000) });
    expect(big.status).toBe(413);
    const chunked = await fetch(`${service.url}/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ROOT_KEY}`, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`{"name":"${'z'.repeat(5000)}"}`));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const wrongType = await root.request('POST', '/v1/tenants', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(wrongType.status).toBe(415);
    const broken = await root.request('POST', '/v1/tenants', '{"name": "x",', {});
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe('REQUEST.INVALID_JSON');
    const invalidUtf8 = await fetch(`${service.url}/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ROOT_KEY}`, 'content-type': 'application/json' },
      body: Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    });
    expect(invalidUtf8.status).toBe(400);
    for (const r of [big, wrongType, broken]) {
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status: r.status, detail: expect.any(String) });
    }
    expect(readLedger(service.dataDir).length).toBe(before);
  });

  it('answers an unknown route with a 404 problem', async () => {
    const response = await service.api(acme.keys.admin.key).get('/v1/nowhere');
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('ROUTE.NOT_FOUND');
  });

  it('writes structured JSON logs with the request id, never a key', async () => {
    const response = await service.api(acme.keys.admin.key, { 'x-request-id': 'trace-me-42' }).get('/v1/api-keys');
    expect(response.headers.get('x-request-id')).toBe('trace-me-42');
    await new Promise((r) => setTimeout(r, 50));
    const lines = service.stdout.trim().split('\n').map((line) => JSON.parse(line));
    const entry = lines.find((l) => l.requestId === 'trace-me-42');
    expect(entry).toMatchObject({ level: 'info', msg: 'request', method: 'GET', path: '/v1/api-keys', status: 200, keyId: acme.keys.admin.id });
    for (const { key } of Object.values(acme.keys)) expect(service.allOutput).not.toContain(key);
    expect(service.allOutput).not.toContain(ROOT_KEY);
  });
});
