import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefixedId } from '../../src/shared/domain/ids.js';
import { dumpReadModel, LedgerRow, readLedger } from '../support/ledger-file.js';
import { seedLedger } from '../support/ledger-seed.js';
import { LedgerTamper } from '../support/ledger-tamper.js';
import { getNdjson } from '../support/ndjson.js';
import { eventually, Receiver } from '../support/receiver.js';
import { Api, createTenant, ROOT_KEY, Service, TenantKeys } from '../support/service.js';

// A documentation address: the SSRF guard refuses it, so no traffic leaves the machine.
const subscription = { url: 'https://192.0.2.10/in', eventTypes: ['call.*'] };
const CREDENTIAL_HEADER = 'Bearer header-credential-0123456789';

interface Entry {
  position: string;
  at: string;
  actor: { type: string; id?: string; name?: string; role?: string };
  action: string;
  target: { stream: string; id: string };
  correlationId: string;
  changes: Record<string, { from: unknown; to: unknown }>;
}

const auditViews = (dataDir: string) => {
  const { audit_entries, ledger_heads } = dumpReadModel(dataDir);
  return { audit_entries, ledger_heads };
};

/** The read model as it was before the audit module existed: no audit tables, no record of joining. */
function dropAuditViews(dataDir: string): void {
  const db = new Database(join(dataDir, 'read-model.db'));
  try {
    db.exec('DROP TABLE audit_entries; DROP TABLE ledger_heads; DROP TABLE projection_joins;');
  } finally {
    db.close();
  }
}

async function allEntries(api: Api, query = ''): Promise<Entry[]> {
  const response = await api.get(`/v1/audit?limit=200${query}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  expect(response.body.nextCursor).toBeNull();
  return response.body.data;
}

describe('audit trail, ledger export and verify', () => {
  let service: Service;
  let acme: TenantKeys;
  let globex: TenantKeys;
  let admin: Api;
  let auditor: Api;
  /** Every secret the scenario was shown: none may appear in audit output or an export. */
  const secrets: string[] = [ROOT_KEY, CREDENTIAL_HEADER];
  let subId: string;
  let tempKeyId: string;
  let patchRequestId: string;

  beforeAll(async () => {
    service = await Service.start();
    acme = await createTenant(service, 'acme');
    globex = await createTenant(service, 'globex');
    admin = service.api(acme.keys.admin.key);
    auditor = service.api(acme.keys.auditor.key);
    for (const tenant of [acme, globex]) secrets.push(...Object.values(tenant.keys).map((k) => k.key));

    const created = await admin.post('/v1/subscriptions', { ...subscription, headers: { Authorization: CREDENTIAL_HEADER, 'X-Team': 'core' } });
    expect(created.status).toBe(201);
    subId = created.body.id;
    const patched = await admin.request('PATCH', `/v1/subscriptions/${subId}`, { url: 'https://192.0.2.11/v2', description: 'calls' }, { 'x-request-id': 'audit-patch-1' });
    expect(patched.status).toBe(200);
    patchRequestId = patched.headers.get('x-request-id')!;
    expect((await service.api(acme.keys.operator.key).post(`/v1/subscriptions/${subId}/pause`)).status).toBe(200);
    const rotated = await admin.post(`/v1/subscriptions/${subId}/rotate-secret`, {});
    expect(rotated.status).toBe(200);
    expect((await admin.delete(`/v1/subscriptions/${subId}`)).status).toBe(204);
    const issued = await admin.post('/v1/api-keys', { name: 'temp-auditor', role: 'auditor' });
    expect(issued.status).toBe(201);
    tempKeyId = issued.body.id;
    expect((await admin.delete(`/v1/api-keys/${tempKeyId}`)).status).toBe(204);
    secrets.push(created.body.secret, rotated.body.secret, issued.body.key);
    // globex does something too, so there is another tenant's trail to leak.
    expect((await service.api(globex.keys.admin.key).post('/v1/subscriptions', subscription)).status).toBe(201);
  });
  afterAll(() => service.dispose());

  const expectNoSecret = (text: string) => {
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      if (secret.startsWith('whsec_')) expect(text).not.toContain(secret.slice('whsec_'.length));
    }
    expect(text).not.toContain('keyHash');
    expect(text).not.toContain('"sealed"');
  };

  describe('GET /v1/audit', () => {
    it('lists each command on a subscription and a key with its actor, and the update before and after', async () => {
      const entries = await allEntries(auditor);
      const positions = entries.map((e) => BigInt(e.position));
      expect(positions).toEqual([...positions].sort((a, b) => (a > b ? -1 : 1)));

      const onSubscription = entries.filter((e) => e.target.id === subId).reverse();
      expect(onSubscription.map((e) => [e.action, e.actor.name, e.actor.role])).toEqual([
        ['SubscriptionCreated', 'admin-key', 'admin'],
        ['SubscriptionUpdated', 'admin-key', 'admin'],
        ['SubscriptionPaused', 'operator-key', 'operator'],
        ['SubscriptionSecretRotated', 'admin-key', 'admin'],
        ['SubscriptionDeleted', 'admin-key', 'admin'],
      ]);
      const [created, updated, paused] = onSubscription;
      expect(created!.target).toEqual({ stream: `subscription-${subId}`, id: subId });
      expect(created!.changes.headers).toEqual({ from: null, to: { Authorization: '[redacted]', 'X-Team': 'core' } });
      expect(updated).toMatchObject({
        actor: { type: 'api_key', id: acme.keys.admin.id, name: 'admin-key', role: 'admin' },
        correlationId: patchRequestId,
        changes: { url: { from: subscription.url, to: 'https://192.0.2.11/v2' }, description: { from: null, to: 'calls' } },
      });
      expect(paused!.actor.id).toBe(acme.keys.operator.id);
      for (const entry of onSubscription) expect(Date.parse(entry.at)).toBeGreaterThan(Date.now() - 60_000);

      const onKey = entries.filter((e) => e.target.id === tempKeyId).reverse();
      expect(onKey.map((e) => [e.action, e.actor.name])).toEqual([
        ['ApiKeyIssued', 'admin-key'],
        ['ApiKeyRevoked', 'admin-key'],
      ]);
      expect(onKey[0]!.changes).toEqual({ name: { from: null, to: 'temp-auditor' }, role: { from: null, to: 'auditor' }, status: { from: null, to: 'active' } });
      expect(onKey[1]!.changes).toEqual({ status: { from: 'active', to: 'revoked' } });

      // The tenant and its first keys were made with the root key.
      const byRoot = entries.filter((e) => e.actor.type === 'root').map((e) => e.action);
      expect(byRoot.sort()).toEqual(['ApiKeyIssued', 'ApiKeyIssued', 'ApiKeyIssued', 'ApiKeyIssued', 'TenantCreated']);
      expect(entries.some((e) => e.actor.type === 'system')).toBe(false);
      expectNoSecret(JSON.stringify(entries));
    });

    it('filters by actor and by time', async () => {
      const entries = await allEntries(auditor);
      const operatorEntries = await allEntries(auditor, `&actor=${acme.keys.operator.id}`);
      expect(operatorEntries.length).toBeGreaterThan(0);
      expect(operatorEntries).toEqual(entries.filter((e) => e.actor.id === acme.keys.operator.id));
      expect((await allEntries(auditor, '&actor=root')).map((e) => e.action)).toContain('TenantCreated');

      // The window between two entries' times, as the client reads them: from inclusive, to exclusive.
      const times = [...new Set(entries.map((e) => e.at))].sort();
      const from = times[1]!;
      const to = times[times.length - 2]!;
      const windowed = await allEntries(auditor, `&from=${from}&to=${to}`);
      expect(windowed.length).toBeGreaterThan(0);
      expect(windowed).toEqual(entries.filter((e) => e.at >= from && e.at < to));
      expect(await allEntries(auditor, `&from=${new Date(Date.now() + 3_600_000).toISOString()}`)).toEqual([]);
    });

    it('pages newest first without a duplicate or a gap while new entries arrive between pages', async () => {
      const tenant = await createTenant(service, 'paging');
      const api = service.api(tenant.keys.admin.key);
      for (let i = 0; i < 4; i++) expect((await api.post('/v1/subscriptions', subscription)).status).toBe(201);
      const before = await allEntries(api);
      const seen: Entry[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { data: Entry[]; nextCursor: string | null } } = await api.get(`/v1/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        expect(page.body.data.length).toBeLessThanOrEqual(3);
        seen.push(...page.body.data);
        cursor = page.body.nextCursor;
        // Commands between pages: their entries are newer than every page still to come.
        await api.post('/v1/subscriptions', subscription);
      } while (cursor);
      expect(seen.map((e) => e.position)).toEqual(before.map((e) => e.position));
      const fresh = await allEntries(api);
      expect(fresh.length).toBeGreaterThan(before.length);
      expect(fresh.slice(fresh.length - before.length)).toEqual(before);
    });

    it('answers 400 naming the field for bad query values', async () => {
      const otherCursor = Buffer.from('sub_x').toString('base64url');
      const notPosition = Buffer.from('pos_abc').toString('base64url');
      for (const [path, field] of [
        ['/v1/audit?limit=0', 'limit'],
        ['/v1/audit?limit=201', 'limit'],
        ['/v1/audit?limit=x', 'limit'],
        ['/v1/audit?cursor=abc', 'cursor'],
        ['/v1/audit?cursor=%2F%2F', 'cursor'],
        [`/v1/audit?cursor=${otherCursor}`, 'cursor'],
        [`/v1/audit?cursor=${notPosition}`, 'cursor'],
        ['/v1/audit?actor=bob', 'actor'],
        ['/v1/audit?actor=key_x', 'actor'],
        ['/v1/audit?from=yesterday', 'from'],
        ['/v1/audit?to=2024-13-01', 'to'],
        ['/v1/audit?from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z', 'to'],
        ['/v1/audit?sort=desc', 'sort'],
        ['/v1/ledger?from=nope', 'from'],
        ['/v1/ledger?to=2024-01-01T25:00:00Z', 'to'],
        ['/v1/ledger?format=csv', 'format'],
      ] as const) {
        const response = await auditor.get(path);
        expect(response.status, path).toBe(400);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        expect(response.body.errors.map((e: { field: string }) => e.field), path).toContain(field);
      }
    });
  });

  describe('GET /v1/ledger', () => {
    it("streams the tenant's ledger events as NDJSON in ledger order, secrets stripped", async () => {
      const exported = await getNdjson(service, '/v1/ledger', acme.keys.auditor.key);
      expect(exported.status).toBe(200);
      expect(exported.contentType).toMatch(/^application\/x-ndjson/);
      const lines = exported.lines.map((line) => JSON.parse(line));
      for (const line of lines) {
        expect(Object.keys(line)).toEqual(['position', 'stream', 'revision', 'id', 'type', 'data', 'metadata']);
        expect(line.metadata.tenantId).toBe(acme.tenantId);
      }
      const positions = lines.map((l) => BigInt(l.position));
      expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));

      // Exactly the tenant's events the ledger file holds, up to the last one exported.
      const last = positions[positions.length - 1]!;
      const inFile = readLedger(service.dataDir).filter((row) => BigInt(row.position) <= last && JSON.parse(row.metadata).tenantId === acme.tenantId);
      expect(lines.map((l) => [l.position, l.stream, l.revision, l.id, l.type])).toEqual(
        inFile.map((row) => [String(row.position), row.stream, String(row.revision), row.id, row.type]),
      );
      const types = lines.map((l) => l.type);
      for (const type of ['TenantCreated', 'ApiKeyIssued', 'ApiKeyRevoked', 'SubscriptionCreated', 'SubscriptionUpdated', 'SubscriptionSecretRotated', 'EventCreated']) {
        expect(types).toContain(type);
      }
      const created = lines.find((l) => l.type === 'SubscriptionCreated' && l.data.subscriptionId === subId);
      expect(created.data.config.headers).toEqual({ Authorization: '[redacted]', 'X-Team': 'core' });
      expect(created.data.secret).toEqual({ id: expect.stringMatching(/^sec_/) });

      const text = exported.lines.join('\n');
      expectNoSecret(text);
      expect(text).not.toContain(globex.tenantId);
    });

    it('filters by occurredAt', async () => {
      const everything = (await getNdjson(service, '/v1/ledger', acme.keys.auditor.key)).lines.map((l) => JSON.parse(l));
      const times = [...new Set(everything.map((l) => l.metadata.occurredAt as string))].sort();
      const from = times[2]!;
      const to = times[times.length - 3]!;
      const windowed = (await getNdjson(service, `/v1/ledger?from=${from}&to=${to}`, acme.keys.auditor.key)).lines.map((l) => JSON.parse(l));
      expect(windowed.length).toBeGreaterThan(0);
      const expected = everything.filter((l) => l.metadata.occurredAt >= from && l.metadata.occurredAt < to && BigInt(l.position) <= BigInt(windowed[windowed.length - 1].position));
      expect(windowed.map((l) => l.id)).toEqual(expected.map((l) => l.id));
    });
  });

  describe('access', () => {
    const routes = ['/v1/audit', '/v1/ledger', '/v1/ledger/verify'];

    it('lets auditors and admins read, and refuses operators and publishers', async () => {
      for (const route of routes) {
        for (const role of ['auditor', 'admin'] as const) expect((await service.api(acme.keys[role].key).get(route)).status, `${role} ${route}`).toBe(200);
        for (const role of ['operator', 'publisher'] as const) {
          const response = await service.api(acme.keys[role].key).get(route);
          expect(response.status, `${role} ${route}`).toBe(403);
          expect(response.body.code).toBe('AUTH.PERMISSION_DENIED');
        }
        expect((await service.api().get(route)).status, `root without a tenant ${route}`).toBe(403);
        expect((await service.api(ROOT_KEY, { 'Hookledger-Tenant': acme.tenantId }).get(route)).status, `root in acme ${route}`).toBe(200);
        expect((await service.api('hlk_nope').get(route)).status).toBe(401);
      }
    });

    it("never shows another tenant's entries or events", async () => {
      const globexAuditor = service.api(globex.keys.auditor.key);
      const entries = await allEntries(globexAuditor);
      expect(entries.length).toBeGreaterThan(0);
      expect(entries.some((e) => e.target.id === subId || e.target.id === tempKeyId)).toBe(false);
      const text = JSON.stringify(entries);
      expect(text).not.toContain(acme.tenantId);
      for (const key of Object.values(acme.keys)) expect(text).not.toContain(key.id);
      expect(await allEntries(globexAuditor, `&actor=${acme.keys.admin.id}`)).toEqual([]);

      const exported = await getNdjson(service, '/v1/ledger', globex.keys.auditor.key);
      expect(exported.lines.length).toBeGreaterThan(0);
      for (const line of exported.lines) expect(JSON.parse(line).metadata.tenantId).toBe(globex.tenantId);
      expect(exported.lines.join('\n')).not.toContain(acme.tenantId);

      const acmeVerify = await auditor.get('/v1/ledger/verify');
      const globexVerify = await globexAuditor.get('/v1/ledger/verify');
      expect(acmeVerify.body.ok).toBe(true);
      expect(globexVerify.body.ok).toBe(true);
      expect(globexVerify.body.streams).toBeLessThan(acmeVerify.body.streams);
    });
  });
});

describe('GET /v1/ledger/verify on a tampered ledger file', () => {
  let service: Service;
  let receiver: Receiver;
  let tenant: TenantKeys;
  let stream: string;
  let eventStream: string;
  let deliveryStream: string;
  let verify: () => Promise<any>;

  beforeAll(async () => {
    service = await Service.start();
    receiver = await Receiver.start();
    tenant = await createTenant(service, 'tampered');
    const admin = service.api(tenant.keys.admin.key);
    const created = await admin.post('/v1/subscriptions', subscription);
    for (const description of ['one', 'two', 'three']) expect((await admin.patch(`/v1/subscriptions/${created.body.id}`, { description })).status).toBe(200);
    stream = `subscription-${created.body.id}`;
    // An event delivered to a receiver: its event stream (EventCreated) and a delivery stream (AttemptMade, DeliverySucceeded).
    expect((await admin.post('/v1/subscriptions', { url: receiver.url, eventTypes: ['order.*'] })).status).toBe(201);
    const published = await service.api(tenant.keys.publisher.key).post('/v1/events', { type: 'order.paid', data: { total: 12 } });
    expect(published.status).toBe(202);
    eventStream = `event-${tenant.tenantId}.${published.body.id}`;
    deliveryStream = `delivery-${published.body.deliveries[0].id}`;
    await eventually(async () => (await admin.get(`/v1/deliveries/${published.body.deliveries[0].id}`)).body.status === 'succeeded', 15_000, 'the delivery to succeed');
    verify = async () => {
      const response = await service.api(tenant.keys.auditor.key).get('/v1/ledger/verify');
      expect(response.status).toBe(200);
      return response.body;
    };
  });
  afterAll(async () => {
    await service.dispose();
    await receiver.close();
  });

  /** Stops the service, lets `tamper` edit the ledger file, restarts, and answers what verify says. */
  async function afterTampering(tamper: (ledger: LedgerTamper) => void): Promise<any> {
    expect(await service.stop()).toBe(0);
    tamper(new LedgerTamper(service.dataDir));
    await service.restart();
    return verify();
  }

  it('passes the intact ledger', async () => {
    const result = await verify();
    expect(result).toMatchObject({ ok: true });
    expect(result.streams).toBeGreaterThanOrEqual(7);
    expect(result.events).toBeGreaterThanOrEqual(result.streams + 3);
  });

  const forge = (data: any) => (data.changes.description = 'forged');
  it.each([
    { what: 'altered data in the middle of a stream', revision: 1, problem: 'altered', tamper: (l: LedgerTamper, s: string) => l.alterData(s, 1, forge) },
    { what: 'an event deleted from the middle of a stream', revision: 2, problem: 'missing', tamper: (l: LedgerTamper, s: string) => l.delete(s, 2) },
    // Every byte counts, not only what the JSON parses to.
    { what: "the same data with a space added, in the middle of a stream", revision: 1, problem: 'altered', tamper: (l: LedgerTamper, s: string) => l.rewriteData(s, 1, (text) => text.replace('":', '": ')) },
    // The chain alone cannot show these two: nothing comes after the last event to record its hash.
    { what: "altered data in a stream's last event", revision: 3, problem: 'altered_last', tamper: (l: LedgerTamper, s: string) => l.alterData(s, 3, forge) },
    { what: "a stream's last event deleted", revision: 3, problem: 'missing', tamper: (l: LedgerTamper, s: string) => l.delete(s, 3) },
  ])('names the stream and revision for $what, and passes again once it is put back', async ({ revision, problem, tamper }) => {
    let original!: LedgerRow;
    const result = await afterTampering((ledger) => {
      original = tamper(ledger, stream);
    });
    expect(result).toMatchObject({ ok: false, stream, revision: String(revision), problem });
    expect(await afterTampering((ledger) => ledger.restore(original))).toMatchObject({ ok: true });
  });

  // The heads of event and delivery streams are the ones the events and deliveries views hold.
  it.each([
    { what: "altered data in an event stream's only event", which: 'event', revision: 0, problem: 'altered_last', tamper: (l: LedgerTamper, s: string) => l.alterData(s, 0, (data) => (data.data.total = 1200)) },
    { what: "an event stream's only event deleted", which: 'event', revision: 0, problem: 'missing', tamper: (l: LedgerTamper, s: string) => l.delete(s, 0) },
    { what: "altered data in a delivery stream's last event", which: 'delivery', revision: 1, problem: 'altered_last', tamper: (l: LedgerTamper, s: string) => l.alterData(s, 1, (data) => (data.attempts = 2)) },
    { what: "a delivery stream's last event deleted", which: 'delivery', revision: 1, problem: 'missing', tamper: (l: LedgerTamper, s: string) => l.delete(s, 1) },
    { what: "a delivery stream's first event deleted", which: 'delivery', revision: 0, problem: 'missing', tamper: (l: LedgerTamper, s: string) => l.delete(s, 0) },
  ])('names the stream and revision for $what, and passes again once it is put back', async ({ which, revision, problem, tamper }) => {
    const tampered = which === 'event' ? eventStream : deliveryStream;
    let original!: LedgerRow;
    const result = await afterTampering((ledger) => {
      original = tamper(ledger, tampered);
    });
    expect(result).toMatchObject({ ok: false, stream: tampered, revision: String(revision), problem });
    expect(await afterTampering((ledger) => ledger.restore(original))).toMatchObject({ ok: true });
  });
});

describe('audit views joining an existing read model', () => {
  it('replays the past into them: a read model from before the audit module gets the whole trail and every head', async () => {
    const service = await Service.start();
    try {
      const tenant = await createTenant(service, 'older');
      const admin = service.api(tenant.keys.admin.key);
      expect((await admin.post('/v1/subscriptions', subscription)).status).toBe(201);
      // The test event's delivery settles (blocked, failed at once), so the ledger stays still from here.
      await eventually(async () => (await admin.get('/v1/deliveries?status=failed')).body.data.length === 1, 15_000, 'the test delivery to fail');
      expect(await service.stop()).toBe(0);
      const before = auditViews(service.dataDir);
      expect(before.audit_entries!.length).toBeGreaterThanOrEqual(6);

      dropAuditViews(service.dataDir);
      await service.restart();
      const auditor = service.api(tenant.keys.auditor.key);
      expect((await allEntries(auditor)).length).toBe(before.audit_entries!.length);
      expect((await auditor.get('/v1/ledger/verify')).body).toMatchObject({ ok: true });
      expect(await service.stop()).toBe(0);
      expect(auditViews(service.dataDir)).toEqual(before);
    } finally {
      await service.dispose();
    }
  });
});

describe('GET /v1/ledger on a large ledger', () => {
  const EVENTS = 100_000;

  it('streams every line with backpressure while the service stays within ~100 MB of its resting memory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hookledger-export-'));
    const tenantId = prefixedId('ten', Date.now(), randomBytes(10));
    // ~150 MB of NDJSON: held in memory at once, it would show many times over.
    await seedLedger(dataDir, { tenantId, streams: EVENTS / 500, eventsPerStream: 500, payloadChars: 1400 });
    const service = await Service.start({ dataDir });
    try {
      const root = service.api(ROOT_KEY, { 'Hookledger-Tenant': tenantId });
      await eventually(async () => (await service.api().get('/ready')).status === 200, 45_000, 'the views to catch up with the seeded ledger');
      const rss = async () => Number(/^hookledger_process_resident_memory_bytes (\d+)/m.exec((await root.get('/metrics')).body)![1]);
      const resting = await rss();
      let peak = resting;
      const sampler = setInterval(() => void rss().then((bytes) => (peak = Math.max(peak, bytes)), () => undefined), 100);

      let count = 0;
      let previous = -1n;
      let bytes = 0;
      try {
        const exported = await getNdjson(service, '/v1/ledger', ROOT_KEY, { 'Hookledger-Tenant': tenantId }, async (line) => {
          const event = JSON.parse(line);
          expect(BigInt(event.position)).toBeGreaterThan(previous);
          previous = BigInt(event.position);
          count++;
          bytes += line.length;
          // A slow client for a moment: the service must wait for it, not buffer the rest.
          if (count === 10_000) await new Promise((resolve) => setTimeout(resolve, 1000));
        });
        expect(exported.status).toBe(200);
      } finally {
        clearInterval(sampler);
      }
      expect(count).toBe(EVENTS);
      expect(bytes).toBeGreaterThan(140_000_000);
      console.log(`export of ${count} lines, ${bytes} bytes: resident memory ${resting >> 20} MiB at rest, ${peak >> 20} MiB at the peak`);
      expect(peak - resting).toBeLessThan(100 * 1024 * 1024);

      // A client that leaves part-way: the service stops the export and carries on.
      const aborted = new AbortController();
      const response = await fetch(`${service.url}/v1/ledger`, { headers: { authorization: `Bearer ${ROOT_KEY}`, 'hookledger-tenant': tenantId }, signal: aborted.signal });
      await response.body!.getReader().read();
      aborted.abort();
      expect((await root.get('/v1/ledger/verify')).body).toMatchObject({ ok: true, streams: EVENTS / 500, events: EVENTS });
      expect(service.stdout).not.toMatch(/"level":"(error|fatal)"/);
    } finally {
      await service.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
