import Database from 'better-sqlite3';
import fc from 'fast-check';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepValue, fromPlain, invalidUtf8, Json, jsonText, Kind, notOf, Obj, Raw, reservedKey, stringOtherThan } from '../support/fuzz-json.js';
import { eventually, Receiver } from '../support/receiver.js';
import { createTenant, ROOT_KEY, Service, TenantKeys } from '../support/service.js';

/**
 * SPEC §6, "every input is validated; bad input gets a clear 4xx and changes nothing", as
 * properties over every write route and every list route's query string: each generated request
 * is invalid by construction, and must get a 4xx problem+json, never a 500, never a change to the
 * ledger, never a crash.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const MAX_PAYLOAD = 65_536;
/** Fixed, so that CI runs the same cases every time; FUZZ_SEED explores others. */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_123);
/** A route that fails this many cases has shown what it does; the rest of its run would only repeat it. */
const ENOUGH_FAILURES = 10;

interface Field {
  name: string;
  required?: boolean;
  /** Wrong values picked by hand (wrong value of the right type, or a shape that almost passes): each is sent once. */
  bad: Json[];
  /** Wrong values drawn at random: any JSON kind but the accepted ones, and more. */
  wrong: fc.Arbitrary<Json>;
  /** Values past its size limits. */
  huge?: fc.Arbitrary<Json>;
}

/** A field spec: `accepts` are the JSON kinds a valid value may have; every other kind is drawn as wrong. */
function field(name: string, accepts: Kind[], bad: Json[], more: { required?: boolean; random?: fc.Arbitrary<Json>; huge?: fc.Arbitrary<Json> } = {}): Field {
  const wrong = fc.oneof(notOf(...accepts), ...(bad.length ? [fc.constantFrom(...bad)] : []), ...(more.random ? [more.random] : []));
  return { name, bad, wrong, ...(more.required ? { required: true } : {}), ...(more.huge ? { huge: more.huge } : {}) };
}

interface BodyRoute {
  label: string;
  method: string;
  path: () => string;
  key: () => string;
  /** A valid body, which every case breaks in one way. */
  valid: () => Obj;
  fields: Field[];
  /** Fields whose values are objects the mutations may reach into. */
  nested?: string[];
}

const letters = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), minLength: min, maxLength: max });
const longString = (over: number) => fc.integer({ min: over + 1, max: over + 2000 }).map((n) => 'x'.repeat(n));
const BAD_ISO = ['', 'yesterday', '2024-13-01', '2024-02-30T00:00:00Z', '2024-01-01T25:00:00Z', '1e3', 'now', '2024-01-01T00:00:00+99:00'];
const isoBad = fc.oneof(fc.constantFrom(...BAD_ISO), letters(1, 20));
const badEventId = fc.oneof(fc.constantFrom('', 'a b', 'a/b', 'é', 'x'.repeat(129), '%00'), fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/^[A-Za-z0-9_.:-]{1,128}$/.test(s)));
const BAD_SECRETS = ['', 'whsec_', 'secret', `whsec_${Buffer.alloc(8).toString('base64')}`, `whsec_${Buffer.alloc(80).toString('base64')}`, 'whsec_!!!!'];
const integer = (name: string, min: number, max: number) =>
  field(name, ['integer', 'null'], [min - 1, max + 1, `${min}`, 1e308, -1e308, min + 0.5], { random: fc.oneof(fc.integer({ max: min - 1 }), fc.integer({ min: max + 1 })) });

// Creating takes null for an optional field as its absence (lenient, left alone here).
const subscriptionFields = (): Field[] => [
  field('url', ['string'], ['', 'not a url', 'ftp://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'https://user:pw@example.com/', '//example.com/x', 'https://', 'http://[::1/'], {
    required: true,
    random: letters(1, 30),
    huge: longString(2048).map((s) => `https://example.com/${s}`),
  }),
  field('eventTypes', ['array'], [[], [1], [null], [''], [' '], ['a.*.b'], ['**'], ['a b'], ['a..b'], ['a.'], ['x'.repeat(129)]], { required: true, huge: fc.constant<Json>(Array(101).fill('a.b')) }),
  field('description', ['string', 'null'], [], { huge: longString(500) }),
  field('secret', ['string', 'null'], BAD_SECRETS),
  field(
    'headers',
    ['object', 'null'],
    [[], Obj.of({ 'X-A': 1 }), Obj.of({ 'X-A': null }), Obj.of({ 'X-A': ['v'] }), Obj.of({ 'bad name': 'v' }), Obj.of({ '': 'v' }), Obj.of({ Host: 'evil' }), Obj.of({ 'Webhook-Signature': 'v1,x' }), Obj.of({ 'X-A': 'a\r\nB: c' }), Obj.of({ 'X-A': 'a\u0001b' }), Obj.of({ 'X-A': 'a\u007fb' }), Obj.of({ 'X-A': 'snow☃man' })],
    { huge: fc.constant<Json>(Obj.of(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v'])))) },
  ),
  field('filter', ['object', 'null'], [[], Obj.of({}), Obj.of({ 'a b': 1 }), Obj.of({ a: Obj.of({}) }), Obj.of({ a: [] }), Obj.of({ 'a.__proto__': 1 })]),
  field('retryPolicy', ['object', 'null'], [[], [Obj.of({ schedule: ['0s'] })], Obj.of({}), Obj.of({ schedule: [] }), Obj.of({ schedule: '0s' }), Obj.of({ schedule: ['5 minutes'] }), Obj.of({ schedule: [1] }), Obj.of({ schedule: ['25h'] }), Obj.of({ schedule: Array(21).fill('1s') }), Obj.of({ schedule: ['0s'], retryAllFailures: 'yes' }), Obj.of({ schedule: ['0s'], extra: 1 })]),
  integer('timeoutMs', 1000, 30_000),
  integer('maxConcurrency', 1, 100),
  integer('rateLimitPerSecond', 1, 10_000),
  field('ordering', ['string', 'null'], ['', 'None', 'keys'], { random: stringOtherThan(['none', 'key']) }),
  field('signature', ['object', 'null'], [[], [Obj.of({ scheme: 'standard' })], Obj.of({}), Obj.of({ scheme: 'md5' }), Obj.of({ scheme: 'hmac-sha256-hex' }), Obj.of({ scheme: 'hmac-sha256-hex', header: 'bad header' }), Obj.of({ scheme: 'standard', extra: 1 })]),
  field('payload', ['string', 'null'], ['', 'Raw', 'json'], { random: stringOtherThan(['envelope', 'raw']) }),
];
// PATCH clears description, filter and rateLimitPerSecond with null and has no secret; null is wrong for every other field.
const patchFields = (): Field[] =>
  subscriptionFields()
    .filter((f) => f.name !== 'secret')
    .map(({ required: _, ...f }) => (['description', 'filter', 'rateLimitPerSecond'].includes(f.name) ? f : { ...f, bad: [...f.bad, null], wrong: fc.oneof(f.wrong, fc.constant(null)) }));
const eventFields = (): Field[] => [
  field('type', ['string'], ['', 'a b', 'call.*', '*', 'a..b', '.a', 'a.', 'é', 'a/b', 'x'.repeat(129)], { required: true }),
  field('data', ['object'], [], { required: true }),
  field('id', ['string', 'null'], [], { random: badEventId }),
  field('orderingKey', ['string', 'null'], ['', 'a b', '\t', 'x'.repeat(257)]),
];
const windowFields = (withStatus: boolean): Field[] => [
  field('since', ['string'], BAD_ISO, { required: true, random: isoBad }),
  field('until', ['string', 'null'], BAD_ISO, { random: isoBad }),
  field('reason', ['string', 'null'], [], { huge: longString(500) }),
  ...(withStatus ? [field('status', ['array', 'null'], [[], ['succeeded'], ['pending'], 'failed', [1]])] : []),
];

describe('input fuzzing: invalid requests get a 4xx problem and change nothing', () => {
  let service: Service;
  let receiver: Receiver;
  let acme: TenantKeys;
  let ids: { subscription: string; delivery: string };
  let db: Database.Database;
  const counts: string[] = [];
  const ledgerSize = () => (db.prepare("SELECT count(*) AS n FROM events WHERE stream NOT LIKE 'delivery-%'").get() as { n: number }).n;
  const settled = (subscriptionId: string) =>
    eventually(async () => (await service.api(acme.keys.auditor.key).get(`/v1/deliveries?subscriptionId=${subscriptionId}&status=pending`)).body.data.length === 0, 15_000, 'deliveries to settle');
  /** After a request that was wrongly accepted, what it set off (operational events) lands before the next case counts. */
  const quiet = async () => {
    let size = ledgerSize();
    for (let still = 0; still < 3; ) {
      await new Promise((r) => setTimeout(r, 100));
      const now = ledgerSize();
      [still, size] = now === size ? [still + 1, size] : [0, now];
    }
  };

  beforeAll(async () => {
    service = await Service.start({ env: { HOOKLEDGER_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD) } });
    // Kept up throughout: a failing test delivery would publish an operational event and move the ledger.
    receiver = await Receiver.start();
    acme = await createTenant(service);
    const subscription = await service.api(acme.keys.admin.key).post('/v1/subscriptions', { url: receiver.url, eventTypes: ['fuzz.*'], retryPolicy: { schedule: ['0s'] } });
    const published = await service.api(acme.keys.publisher.key).post('/v1/events', { type: 'fuzz.seed', data: { n: 1 } });
    ids = { subscription: subscription.body.id, delivery: published.body.deliveries[0].id };
    await settled(ids.subscription);
    db = new Database(join(service.dataDir, 'ledger.db'), { readonly: true, fileMustExist: true });
    console.log(`input-fuzzing: seed ${SEED} (FUZZ_SEED to replay), ${RUNS} cases per route`);
  });
  afterAll(async () => {
    console.log(`input-fuzzing: cases run per route (answers)\n  ${counts.join('\n  ')}`);
    db?.close();
    await service?.dispose();
    await receiver?.close();
  });

  interface Sent {
    /** How the request was broken: failures are reported once per kind. */
    why: string;
    method: string;
    path: string;
    key: string;
    body?: string | Buffer;
    /** null: no Content-Type at all. */
    contentType?: string | null;
  }

  async function send(request: Sent): Promise<{ status: number; contentType: string; text: string }> {
    const headers: Record<string, string> = { authorization: `Bearer ${request.key}` };
    let body: string | Uint8Array | undefined;
    if (request.body !== undefined) {
      // fetch gives a string body text/plain of its own accord; bytes go without a Content-Type.
      body = typeof request.body === 'string' && request.contentType !== null ? request.body : new Uint8Array(Buffer.from(request.body));
      if (request.contentType !== null) headers['content-type'] = request.contentType ?? 'application/json';
    }
    const response = await fetch(service.url + request.path, { method: request.method, headers, body }).catch((error: Error) => {
      throw new Error(`the service did not answer ${request.method} ${request.path} (${error.message}); its last output:\n${service.allOutput.slice(-3000)}`);
    });
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
  }

  /** What is wrong with the answer to an invalid request, or null. */
  function fault(answer: { status: number; contentType: string; text: string }, perItem: boolean): string | null {
    if (perItem && answer.status === 202) {
      const refused = (JSON.parse(answer.text) as { data: Array<{ status: number }> }).data.every((r) => r.status === 400);
      return refused ? null : 'an item accepted';
    }
    if (answer.status < 400 || answer.status >= 500) return `answered ${answer.status}`;
    if (!answer.contentType.includes('application/problem+json')) return `${answer.status} without problem+json`;
    const problem = JSON.parse(answer.text) as Record<string, unknown>;
    const complete = typeof problem.type === 'string' && typeof problem.title === 'string' && problem.status === answer.status && typeof problem.detail === 'string';
    return complete ? null : `${answer.status} with an incomplete problem`;
  }

  /**
   * Sends the hand-picked cases, then RUNS cases fast-check draws from SEED, and catalogues what
   * went wrong, one example per kind of breakage, so that one run shows every defect of a route.
   */
  async function refusesAll(label: string, cases: fc.Arbitrary<Sent>, options: { perItem?: boolean; picked?: Sent[] } = {}): Promise<void> {
    const picked = options.picked ?? [];
    const tally = new Map<number, number>();
    const failures: Record<string, string> = {};
    let sent = 0;
    let failed = 0;
    for (const request of [...picked, ...fc.sample(cases, { numRuns: RUNS, seed: SEED })]) {
      const before = ledgerSize();
      const answer = await send(request);
      sent++;
      tally.set(answer.status, (tally.get(answer.status) ?? 0) + 1);
      const changed = ledgerSize() !== before ? 'the ledger changed' : null;
      const problems = [fault(answer, options.perItem ?? false), changed].filter(Boolean).join(', ');
      if (!problems) continue;
      await quiet();
      const kind = `${request.why} → ${problems}`;
      failures[kind] ??= `${request.method} ${request.path.slice(0, 100)} ${String(request.body ?? '').slice(0, 200)} → ${answer.status} ${answer.text.slice(0, 200)}`;
      if (++failed === ENOUGH_FAILURES) break;
    }
    const answers = [...tally].sort(([a], [b]) => a - b).map(([status, n]) => `${n}×${status}`).join(', ');
    counts.push(`${label}: ${sent} cases, ${Math.min(sent, picked.length)} picked + ${Math.max(0, sent - picked.length)} drawn (${answers})${failed === ENOUGH_FAILURES ? `, stopped at ${ENOUGH_FAILURES} failures` : ''}`);
    expect(failures, `${label}: ${Object.keys(failures).length} kinds of invalid request not refused cleanly`).toEqual({});
  }

  /** Each hand-picked wrong value of each field, in an otherwise valid body. */
  function pickedBodies(route: BodyRoute): Sent[] {
    const valid = route.valid();
    return route.fields.flatMap((f) => f.bad.map((value): Sent => ({ why: `${f.name}: ${shown(value)}`, method: route.method, path: route.path(), key: route.key(), body: jsonText(valid.set(f.name, value)) })));
  }

  /** Every way of breaking a valid body: wrong types and values, missing and unknown fields, sizes, nesting, keys, bytes, content types. */
  function brokenBodies(route: BodyRoute): fc.Arbitrary<Sent> {
    const request = (why: string, body: Json | Buffer, contentType?: string | null): Sent => ({
      why,
      method: route.method,
      path: route.path(),
      key: route.key(),
      body: Buffer.isBuffer(body) ? body : jsonText(body),
      ...(contentType === undefined ? {} : { contentType }),
    });
    const valid = route.valid();
    const field = fc.constantFrom(...route.fields);
    const target = fc.constantFrom(null, ...(route.nested ?? []));
    const within = (at: string | null, change: (o: Obj) => Obj): Obj => {
      const inner = at === null ? undefined : valid.get(at);
      return at !== null && inner instanceof Obj ? valid.set(at, change(inner)) : change(valid);
    };
    const where = (at: string | null) => (at === null ? 'top level' : `in ${at}`);
    const known = new Set(route.fields.map((f) => f.name));
    const strategies: Array<fc.Arbitrary<Sent>> = [
      field.chain((f) => f.wrong.map((value) => request(`${f.name}: ${shown(value)}`, valid.set(f.name, value)))),
      fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !known.has(k)).chain((k) => fc.jsonValue({ maxDepth: 2 }).map((v) => request('unknown field', valid.plus(k, fromPlain(v))))),
      fc.integer({ min: MAX_PAYLOAD, max: MAX_PAYLOAD * 3 }).map((n) => request('body over the limit', valid.plus('padding', 'p'.repeat(n)))),
      fc.tuple(target, deepValue).map(([at, deep]) => request(`deep nesting ${where(at)}`, within(at, (o) => o.plus('deep', deep)))),
      fc.tuple(target, reservedKey, fc.jsonValue({ maxDepth: 1 })).map(([at, key, v]) => request(`"${key}" key ${where(at)}`, within(at, (o) => o.plus(key, fromPlain(v))))),
      fc.tuple(target, fc.nat()).map(([at, n]) =>
        request(`duplicate key ${where(at)}`, within(at, (o) => (o.entries.length ? o.plus(...o.entries[n % o.entries.length]!) : o.plus('k', 1).plus('k', 2)))),
      ),
      invalidUtf8.map((bytes) => {
        const text = jsonText(valid.plus('note', '@@'));
        const at = text.indexOf('@@');
        return request('invalid UTF-8', Buffer.concat([Buffer.from(text.slice(0, at)), bytes, Buffer.from(text.slice(at + 2))]));
      }),
      fc
        .constantFrom(null, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/json', 'application/jsonp', 'application/json-seq', 'json', 'application/javascript')
        .map((type) => request(`Content-Type ${type ?? 'missing'}`, valid, type)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => {
        const doc = fromPlain(v);
        return request(`random JSON (${kindOf(doc)})`, doc instanceof Obj ? doc.plus('zz-unknown', 1) : doc);
      }),
    ];
    const huge = route.fields.filter((f) => f.huge);
    if (huge.length > 0) strategies.push(fc.constantFrom(...huge).chain((f) => f.huge!.map((value) => request(`${f.name}: over its size limit`, valid.set(f.name, value)))));
    const required = route.fields.filter((f) => f.required);
    if (required.length > 0) strategies.push(fc.constantFrom(...required).map((f) => request(`${f.name}: missing`, valid.without(f.name))));
    return fc.oneof(...strategies);
  }

  const bodyRoutes = (): BodyRoute[] => {
    const admin = () => acme.keys.admin.key;
    const operator = () => acme.keys.operator.key;
    const publisher = () => acme.keys.publisher.key;
    const sub = () => `/v1/subscriptions/${ids.subscription}`;
    return [
      { label: 'POST /v1/tenants', method: 'POST', path: () => '/v1/tenants', key: () => ROOT_KEY, valid: () => Obj.of({ name: 'fuzz' }), fields: [field('name', ['string'], ['', '   '], { required: true, huge: longString(200) })] },
      {
        label: 'POST /v1/api-keys',
        method: 'POST',
        path: () => '/v1/api-keys',
        key: admin,
        valid: () => Obj.of({ name: 'fuzz', role: 'auditor' }),
        fields: [
          field('name', ['string'], ['', ' '], { required: true, huge: longString(200) }),
          field('role', ['string'], ['', 'Admin', 'root', 'toString'], { required: true, random: stringOtherThan(['admin', 'operator', 'auditor', 'publisher']) }),
          field('tenantId', ['string', 'null'], ['', 'acme', 'ten_', 'ten_x']),
        ],
      },
      { label: 'POST /v1/subscriptions', method: 'POST', path: () => '/v1/subscriptions', key: admin, valid: () => Obj.of({ url: 'https://192.0.2.10/in', eventTypes: ['fuzz.x'] }), fields: subscriptionFields(), nested: ['retryPolicy', 'headers', 'filter'] },
      {
        label: 'PATCH /v1/subscriptions/:id',
        method: 'PATCH',
        path: sub,
        key: admin,
        valid: () => fromPlain({ description: 'fuzzed', retryPolicy: { schedule: ['0s'] }, headers: { 'X-Team': 'core' } }) as Obj,
        fields: patchFields(),
        nested: ['retryPolicy', 'headers'],
      },
      { label: 'POST /v1/subscriptions/:id/rotate-secret', method: 'POST', path: () => `${sub()}/rotate-secret`, key: admin, valid: () => Obj.of({ secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}` }), fields: [field('secret', ['string', 'null'], BAD_SECRETS)] },
      { label: 'POST /v1/subscriptions/:id/replay', method: 'POST', path: () => `${sub()}/replay`, key: operator, valid: () => Obj.of({ since: '2020-01-01T00:00:00Z', status: ['failed'] }), fields: windowFields(true) },
      { label: 'POST /v1/subscriptions/:id/backfill', method: 'POST', path: () => `${sub()}/backfill`, key: operator, valid: () => Obj.of({ since: '2020-01-01T00:00:00Z' }), fields: windowFields(false) },
      { label: 'POST /v1/events', method: 'POST', path: () => '/v1/events', key: publisher, valid: () => fromPlain({ type: 'fuzz.x', data: { n: 1, nested: { ok: true } } }) as Obj, fields: eventFields(), nested: ['data'] },
      {
        // A valid envelope around one invalid item: every case breaks the envelope itself.
        label: 'POST /v1/events/batch',
        method: 'POST',
        path: () => '/v1/events/batch',
        key: publisher,
        valid: () => Obj.of({ events: [Obj.of({ type: 'fuzz.x', data: Obj.of({}), id: 'not an id' })] }),
        fields: [field('events', ['array'], [[]], { required: true, huge: fc.constant<Json>(Array(101).fill(Obj.of({ type: 'fuzz.x', data: Obj.of({}) }))) })],
      },
      { label: 'POST /v1/deliveries/:id/replay', method: 'POST', path: () => `/v1/deliveries/${ids.delivery}/replay`, key: operator, valid: () => Obj.of({ reason: 'fuzz' }), fields: [field('reason', ['string', 'null'], [], { huge: longString(500) })] },
    ];
  };

  it.each(['POST /v1/tenants', 'POST /v1/api-keys', 'POST /v1/subscriptions', 'PATCH /v1/subscriptions/:id', 'POST /v1/subscriptions/:id/rotate-secret', 'POST /v1/subscriptions/:id/replay', 'POST /v1/subscriptions/:id/backfill', 'POST /v1/events', 'POST /v1/events/batch', 'POST /v1/deliveries/:id/replay'])(
    '%s',
    async (label) => {
      const route = bodyRoutes().find((r) => r.label === label)!;
      await refusesAll(label, brokenBodies(route), { perItem: label === 'POST /v1/events/batch', picked: pickedBodies(route) });
    },
  );

  it('POST /v1/events/batch items: each broken item is refused on its own, nothing is stored', async () => {
    const event = bodyRoutes().find((r) => r.label === 'POST /v1/events')!;
    const item = brokenBodies(event).filter((sent) => typeof sent.body === 'string' && sent.contentType === undefined && sent.body.length < MAX_PAYLOAD / 4 && !sent.why.includes('over the limit'));
    const cases = fc.array(item, { minLength: 1, maxLength: 3 }).map((items): Sent => ({
      why: `items: ${items.map((i) => i.why).join(' + ')}`.replace(/\(.*?\)/g, ''),
      method: 'POST',
      path: '/v1/events/batch',
      key: acme.keys.publisher.key,
      body: `{"events":[${items.map((i) => i.body).join(',')}]}`,
    }));
    await refusesAll('POST /v1/events/batch (items)', cases, { perItem: true });
  });

  /** Ids that name nothing, in every shape: wrong prefix, well-formed but unknown, odd characters, long. */
  const unknownId = (prefix: string) =>
    fc
      .oneof(
        fc.constantFrom(`${prefix}_00000000000000000000000000`, `${prefix}_`, prefix, 'null', 'undefined', '..', '%2e%2e', '__proto__', 'constructor'),
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
        fc.integer({ min: 200, max: 1000 }).map((n) => `${prefix}_${'A'.repeat(n)}`),
      )
      .map(pathSegment);

  const actionRoutes: Array<[label: string, method: string, path: (id: string) => string, prefix: string, key: () => string]> = [
    ['DELETE /v1/api-keys/:id', 'DELETE', (id) => `/v1/api-keys/${id}`, 'key', () => acme.keys.admin.key],
    ['DELETE /v1/subscriptions/:id', 'DELETE', (id) => `/v1/subscriptions/${id}`, 'sub', () => acme.keys.admin.key],
    ['POST /v1/subscriptions/:id/pause', 'POST', (id) => `/v1/subscriptions/${id}/pause`, 'sub', () => acme.keys.operator.key],
    ['POST /v1/subscriptions/:id/resume', 'POST', (id) => `/v1/subscriptions/${id}/resume`, 'sub', () => acme.keys.operator.key],
    ['POST /v1/subscriptions/:id/disable', 'POST', (id) => `/v1/subscriptions/${id}/disable`, 'sub', () => acme.keys.operator.key],
    ['POST /v1/subscriptions/:id/test', 'POST', (id) => `/v1/subscriptions/${id}/test`, 'sub', () => acme.keys.operator.key],
  ];

  it.each([
    ...actionRoutes,
    ['PATCH /v1/subscriptions/:id', 'PATCH', (id: string) => `/v1/subscriptions/${id}`, 'sub', () => acme.keys.admin.key] as const,
    ['POST /v1/subscriptions/:id/rotate-secret', 'POST', (id: string) => `/v1/subscriptions/${id}/rotate-secret`, 'sub', () => acme.keys.admin.key] as const,
    ['POST /v1/deliveries/:id/replay', 'POST', (id: string) => `/v1/deliveries/${id}/replay`, 'dlv', () => acme.keys.operator.key] as const,
  ])('%s with ids that name nothing', async (label, method, path, prefix, key) => {
    const body = method === 'PATCH' ? '{"description":"x"}' : undefined;
    await refusesAll(`${label} (unknown ids)`, unknownId(prefix).map((id): Sent => ({ why: 'unknown id', method, path: path(id), key: key(), ...(body ? { body } : {}) })));
  });

  // These routes take no body, so one that carries anything is as invalid as an unknown field (SPEC §3).
  it.each(actionRoutes)('%s on a real id, with a body it does not take', async (label, method, path, prefix, key) => {
    // A target of its own, so that what one route does (delete, disable) does not hide what the next one does.
    const admin = service.api(acme.keys.admin.key);
    const target: string = prefix === 'key'
      ? (await admin.post('/v1/api-keys', { name: 'fuzz-target', role: 'auditor' })).body.id
      : (await admin.post('/v1/subscriptions', { url: receiver.url, eventTypes: ['target.*'], retryPolicy: { schedule: ['0s'] } })).body.id;
    if (prefix === 'sub') await settled(target);
    await quiet();
    const junk = fc.oneof(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 3 }).map((o) => ({ why: 'object', body: jsonText(fromPlain(o)) })),
      fc.jsonValue({ maxDepth: 2 }).filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)).map((v) => ({ why: kindOf(fromPlain(v)), body: JSON.stringify(v) })),
    );
    await refusesAll(`${label} (body)`, junk.map(({ why, body }): Sent => ({ why: `body: ${why}`, method, path: path(target), key: key(), body })));
  });

  const queryRoutes: Array<[path: string, params: Record<string, fc.Arbitrary<string>>]> = [
    ['/v1/subscriptions', { status: stringOtherThan(['active', 'paused', 'disabled']) }],
    ['/v1/events', { type: longString(128), from: isoBad, to: isoBad }],
    [
      '/v1/deliveries',
      {
        subscriptionId: fc.string({ maxLength: 40 }).filter((s) => !/^sub_[0-9A-Z]{26}$/.test(s)),
        eventId: badEventId,
        eventType: longString(128),
        status: stringOtherThan(['pending', 'succeeded', 'failed', 'cancelled']),
        from: isoBad,
        to: isoBad,
      },
    ],
  ];

  it.each(queryRoutes)('GET %s with an invalid query string', async (path, params) => {
    const limit = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('0', '201', '-1', '1.5', '1e3', 'NaN', 'Infinity', '9'.repeat(30))).filter((v) => {
      const n = Number(v);
      return !(v.trim() !== '' && Number.isInteger(n) && n >= 1 && n <= 200);
    });
    const cursor = fc.oneof(
      fc.string({ minLength: 1, maxLength: 20 }).filter((c) => !/^[A-Za-z0-9_-]+$/.test(c)),
      fc.constantFrom('', 'x'.repeat(201)),
      letters(1, 10).map((c) => Buffer.from(`${c}:${c}`).toString('base64url')),
    );
    const invalid: Array<fc.Arbitrary<[string, string, string]>> = [
      ...Object.entries({ ...params, limit, cursor }).map(([name, value]) => value.map((v): [string, string, string] => [`bad ${name}`, name, v])),
      fc.tuple(fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !(k in params) && !['limit', 'cursor'].includes(k)), fc.string({ maxLength: 10 })).map(([k, v]): [string, string, string] => ['unknown parameter', k, v]),
      fc.tuple(reservedKey, fc.string({ maxLength: 5 })).map(([k, v]): [string, string, string] => [`"${k}" parameter`, k, v]),
      fc.constantFrom<[string, string, string]>(['bracketed parameter', 'limit[]', '5'], ['bracketed parameter', 'limit[a]', '5'], ['bracketed parameter', 'a[b][c]', '1']),
    ];
    const pairs = fc.tuple(fc.oneof(...invalid), fc.array(fc.constantFrom<[string, string]>(['limit', '5'], ['limit', '10']), { maxLength: 2 }));
    const encoded = pairs.map(([[why, k, v], more]) => ({ why, query: [[k, v], ...more].map(([name, value]) => `${encodeURIComponent(name!)}=${encodeURIComponent(value!)}`).join('&') }));
    const raw = fc.constantFrom('%', '%zz', 'a=%E0%A4%A', '&&=&', '==', 'limit=5&limit=5').map((query) => ({ why: `raw query ${query}`, query }));
    await refusesAll(`GET ${path}?…`, fc.oneof(encoded, raw).map(({ why, query }): Sent => ({ why, method: 'GET', path: `${path}?${query}`, key: acme.keys.auditor.key })));
  });

  it('is still up, and answered none of it with a 5xx', async () => {
    expect((await service.api('').get('/health')).status).toBe(200);
    expect(service.allOutput).not.toContain('"msg":"request failed"');
  });
});

/** A wrong value as a case is named: as written, cut short; numbers, booleans and null by kind. */
function shown(value: Json): string {
  return value instanceof Obj || Array.isArray(value) || typeof value === 'string' ? jsonText(value).slice(0, 60) : kindOf(value);
}

/** A JSON value's kind, for naming a case. */
function kindOf(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'empty array' : 'array';
  if (value instanceof Obj) return value.entries.length === 0 ? 'empty object' : 'object';
  if (value instanceof Raw) return 'raw JSON';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string') return value === '' ? 'empty string' : 'string';
  return typeof value;
}

/** An id as a path segment; one that is not well-formed UTF-16 goes byte by byte. */
function pathSegment(id: string): string {
  try {
    return encodeURIComponent(id);
  } catch {
    return [...Buffer.from(id)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  }
}
