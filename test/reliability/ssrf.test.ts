import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBlockedAddress, parseAllowList } from '../../src/deliveries/dispatch/ssrf-guard.js';
import { readStream } from '../support/ledger-file.js';
import { eventually } from '../support/receiver.js';
import { Api, createTenant, Service } from '../support/service.js';
import { Tripwires } from '../support/tripwires.js';

/**
 * SPEC §6 through the running service: only 127.0.0.1/32 is allowed. Every other special-purpose
 * address, however the URL writes it and whatever a name resolves to, must be refused before any
 * connection: the attempt is recorded with error class `blocked`, and the listeners on 127.0.0.1,
 * 127.0.0.2 and ::1 (same port) see nothing of it. Non-loopback targets are never contacted
 * because the guard refuses them; that refusal is what is under test.
 */
const LOOPBACKS = ['127.0.0.1', '127.0.0.2', '::1'];
const DNS_PRELOAD = fileURLToPath(new URL('../support/dns-answers.cjs', import.meta.url));

describe('SSRF guard, end to end', () => {
  let wires: Tripwires;
  let service: Service;
  let admin: Api;
  let publisher: Api;
  let dnsDir: string;
  const answersFile = () => join(dnsDir, 'answers.json');
  const setAnswers = (answers: Record<string, string[][]>) => writeFileSync(answersFile(), JSON.stringify(answers));

  beforeAll(async () => {
    wires = await Tripwires.start(LOOPBACKS);
    dnsDir = mkdtempSync(join(tmpdir(), 'hookledger-dns-'));
    setAnswers({});
    service = await Service.start({
      env: {
        HOOKLEDGER_ALLOWED_NETWORKS: '127.0.0.1/32',
        NODE_OPTIONS: `--require ${DNS_PRELOAD}`,
        HOOKLEDGER_TEST_DNS_ANSWERS: answersFile(),
      },
    });
    const tenant = await createTenant(service);
    admin = service.api(tenant.keys.admin.key);
    publisher = service.api(tenant.keys.publisher.key);
  });
  afterAll(async () => {
    await service?.dispose();
    await wires?.close();
    rmSync(dnsDir, { recursive: true, force: true });
  });

  let probes = 0;
  const finalEvents = (deliveryId: string) => {
    const events = readStream(service.dataDir, `delivery-${deliveryId}`);
    return ['DeliverySucceeded', 'DeliveryFailed'].includes(events.at(-1)?.type ?? '') ? events : undefined;
  };

  /**
   * One subscription per URL; once each one's test event is settled, one published event to all
   * of them. Answers the ledger stream of each published delivery, by label.
   */
  async function attemptsFor(cases: Array<[label: string, url: string]>): Promise<Map<string, { type: string; data: any }[]>> {
    const labels = new Map<string, string>();
    const eventType = `ssrf.probe${probes++}`;
    for (const [label, url] of cases) {
      const created = await admin.post('/v1/subscriptions', { url, eventTypes: [eventType], retryPolicy: { schedule: ['0s'] } });
      expect(created.status, `${label} ${url}: ${JSON.stringify(created.body)}`).toBe(201);
      labels.set(created.body.id, label);
    }
    for (const [subscriptionId, label] of labels) {
      await eventually(async () => {
        const listed = await admin.get(`/v1/deliveries?subscriptionId=${subscriptionId}`);
        return listed.body.data.length === 1 && listed.body.data[0].status !== 'pending';
      }, 15_000, `the test event of ${label}`);
    }
    const published = await publisher.post('/v1/events', { type: eventType, data: {} });
    expect(published.status).toBe(202);
    const streams = new Map<string, { type: string; data: any }[]>();
    for (const { id, subscriptionId } of published.body.deliveries as Array<{ id: string; subscriptionId: string }>) {
      streams.set(labels.get(subscriptionId)!, await eventually(() => finalEvents(id), 15_000, `the attempt of ${labels.get(subscriptionId)}`));
    }
    return streams;
  }

  function expectBlocked(streams: Map<string, { type: string; data: any }[]>): void {
    for (const [label, events] of streams) {
      expect(events.map((e) => e.type), label).toEqual(['AttemptMade', 'DeliveryFailed']);
      expect(events[0]!.data, label).toMatchObject({ outcome: 'permanent', response: null, error: { class: 'blocked', message: expect.stringMatching(/refused to connect/) } });
    }
  }

  it('blocks every special-purpose IPv4 and IPv6 address and every way of writing one; the allowed address still gets through', async () => {
    const p = wires.port;
    const blocked: Array<[string, string]> = [
      // IPv4, one or two per range: this host, private, CGNAT, loopback, link-local, IETF, documentation, 6to4 relay, benchmarking, multicast, reserved, broadcast
      ...['0.0.0.0', '0.1.2.3', '10.0.0.1', '10.255.255.254', '100.64.0.1', '100.127.255.254', '127.0.0.2', '127.255.255.254', '169.254.169.254', '169.254.0.1',
        '172.16.0.1', '172.31.255.254', '192.0.0.1', '192.0.0.171', '192.0.2.1', '192.88.99.1', '192.168.0.1', '192.168.255.254', '198.18.0.1', '198.19.255.254',
        '198.51.100.1', '203.0.113.1', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.254', '255.255.255.255'].map((ip): [string, string] => [ip, `http://${ip}:${p}/`]),
      // 127.0.0.2, 169.254.169.254, 10.0.0.1 and 0.0.0.0 written as decimal, octal, hex, short and mixed forms
      ['127.0.0.2 decimal', `http://2130706434:${p}/`],
      ['127.0.0.2 hex', `http://0x7f000002:${p}/`],
      ['127.0.0.2 octal', `http://017700000002:${p}/`],
      ['127.0.0.2 dotted octal', `http://0177.0.0.02:${p}/`],
      ['127.0.0.2 dotted hex', `http://0x7f.0x0.0x0.0x2:${p}/`],
      ['127.0.0.2 short', `http://127.2:${p}/`],
      ['127.0.0.2 mixed', `http://0x7f.0.0.2:${p}/`],
      ['169.254.169.254 decimal', 'http://2852039166/'],
      ['169.254.169.254 hex', 'http://0xa9fea9fe/'],
      ['169.254.169.254 dotted octal', 'http://0251.0376.0251.0376/'],
      ['10.0.0.1 decimal', 'http://167772161/'],
      ['10.0.0.1 octal', 'http://012.0.0.1/'],
      ['0.0.0.0 as 0', `http://0:${p}/`],
      // IPv6: unspecified, loopback, IPv4-mapped (including the allowed 127.0.0.1), IPv4-compatible, NAT64, 6to4, Teredo, ULA, link-local, multicast, documentation, discard, benchmarking, ORCHID
      ['::', `http://[::]:${p}/`],
      ['::1', `http://[::1]:${p}/`],
      ['::1 long', `http://[0:0:0:0:0:0:0:1]:${p}/`],
      ['::ffff:127.0.0.1 (mapped allowed address)', `http://[::ffff:127.0.0.1]:${p}/mapped`],
      ['::ffff:7f00:2', `http://[::ffff:7f00:2]:${p}/`],
      ['::ffff:10.0.0.1', 'http://[::ffff:10.0.0.1]/'],
      ['::ffff:169.254.169.254', 'http://[::ffff:169.254.169.254]/'],
      ['::127.0.0.2 (compatible)', `http://[::127.0.0.2]:${p}/`],
      ['64:ff9b::127.0.0.1 (NAT64)', `http://[64:ff9b::127.0.0.1]:${p}/`],
      ['64:ff9b::a9fe:a9fe (NAT64)', 'http://[64:ff9b::a9fe:a9fe]/'],
      ['64:ff9b:1::a00:1 (local NAT64)', 'http://[64:ff9b:1::a00:1]/'],
      ['2002:7f00:1:: (6to4)', `http://[2002:7f00:1::1]:${p}/`],
      ['2002:a9fe:a9fe:: (6to4)', 'http://[2002:a9fe:a9fe::1]/'],
      ['2001:: (Teredo)', 'http://[2001::1]/'],
      ['fc00::1', 'http://[fc00::1]/'],
      ['fd00::1', 'http://[fd00::1]/'],
      ['fe80::1', 'http://[fe80::1]/'],
      ['ff02::1', 'http://[ff02::1]/'],
      ['2001:db8::1', 'http://[2001:db8::1]/'],
      ['3fff::1', 'http://[3fff::1]/'],
      ['100::1', 'http://[100::1]/'],
      ['2001:2::1', 'http://[2001:2::1]/'],
      ['2001:20::1', 'http://[2001:20::1]/'],
    ];
    const allowed: Array<[string, string]> = [
      ['127.0.0.1', `http://127.0.0.1:${p}/ok-dotted`],
      ['127.0.0.1 decimal', `http://2130706433:${p}/ok-decimal`],
      ['127.0.0.1 hex', `http://0x7f000001:${p}/ok-hex`],
      ['127.0.0.1 dotted octal', `http://0177.0.0.1:${p}/ok-octal`],
      ['127.0.0.1 short', `http://127.1:${p}/ok-short`],
    ];
    const streams = await attemptsFor([...blocked, ...allowed]);
    expectBlocked(new Map([...streams].filter(([label]) => blocked.some(([b]) => b === label))));
    for (const [label] of allowed) expect(streams.get(label)!.map((e) => e.type), label).toEqual(['AttemptMade', 'DeliverySucceeded']);

    expect(wires.connectionsAt('127.0.0.2')).toBe(0);
    expect(wires.connectionsAt('::1')).toBe(0);
    // Each allowed spelling got its test event and the published one; nothing else reached 127.0.0.1.
    expect([...wires.pathsAt('127.0.0.1')].sort()).toEqual(allowed.flatMap(([, url]) => [new URL(url).pathname, new URL(url).pathname]).sort());
    console.log(`ssrf: ${blocked.length} special-purpose targets blocked, ${allowed.length} spellings of the allowed address delivered`);
  });

  it('checks the address it connects to on every connection, so names that resolve (or rebind) to blocked addresses never reach a listener', async () => {
    const p = wires.port;
    setAnswers({
      'rebind.hookledger.test': [['127.0.0.1']],
      // A zero-TTL rebinding attack: harmless on the first look, loopback on every later one.
      'toctou.hookledger.test': [['127.0.0.1'], ['127.0.0.2']],
      'mixed.hookledger.test': [['127.0.0.1', '127.0.0.2']],
      'metadata.hookledger.test': [['169.254.169.254']],
      'v6-loopback.hookledger.test': [['::1']],
      'mapped.hookledger.test': [['::ffff:127.0.0.2']],
    });
    // First answers: the rebinding names resolve to the allowed address, so their test events arrive.
    const first = await attemptsFor([
      ['rebind', `http://rebind.hookledger.test:${p}/rebind`],
      ['toctou', `http://toctou.hookledger.test:${p}/toctou`],
    ]);
    // The test event took toctou's harmless first answer; the published event met its rebinding.
    expect(first.get('rebind')!.map((e) => e.type)).toEqual(['AttemptMade', 'DeliverySucceeded']);
    expectBlocked(new Map([['toctou', first.get('toctou')!]]));
    expect(wires.pathsAt('127.0.0.1').filter((path) => path === '/toctou')).toHaveLength(1);

    // rebind now points at a loopback address outside the allow-list.
    setAnswers({ ...JSON.parse(readFileSync(answersFile(), 'utf8')), 'rebind.hookledger.test': [['127.0.0.2']] });
    const rebound = await attemptsFor([
      ['rebound', `http://rebind.hookledger.test:${p}/rebound`],
      ['mixed', `http://mixed.hookledger.test:${p}/mixed`],
      ['metadata', 'http://metadata.hookledger.test/latest/meta-data/'],
      ['v6-loopback', `http://v6-loopback.hookledger.test:${p}/`],
      ['mapped', `http://mapped.hookledger.test:${p}/`],
    ]);
    expectBlocked(rebound);
    for (const [label, events] of rebound) expect(events[0]!.data.error.message, label).toMatch(/resolves to blocked address/);

    expect(wires.connectionsAt('127.0.0.2')).toBe(0);
    expect(wires.connectionsAt('::1')).toBe(0);
    expect(wires.pathsAt('127.0.0.1').filter((path) => ['/rebound', '/mixed'].includes(path))).toEqual([]);
    const lookups = readFileSync(`${answersFile()}.log`, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { hostname: string });
    // One look per connection: the check and the connection use the same answer.
    expect(lookups.filter((l) => l.hostname === 'toctou.hookledger.test')).toHaveLength(2);
  });
});

/**
 * The guard's address table, checked without sending anything: addresses the end-to-end test
 * cannot probe safely, because an address the guard wrongly lets through would be contacted.
 * (This is unit-level; it belongs beside ssrf-guard.spec.ts.)
 */
describe('SSRF guard address table (no traffic)', () => {
  const none = parseAllowList([]);
  const ipv6 = (value: bigint) => value.toString(16).padStart(32, '0').replace(/(.{4})(?!$)/g, '$1:');
  const inPrefix = (value: bigint, prefix: string, bits: number) => value >> BigInt(128 - bits) === BigInt(`0x${prefix}`);

  it('blocks every IPv6 address outside global unicast (2000::/3) that is not an IPv4-mapped or NAT64 form of a public IPv4', () => {
    // Reserved by the IETF (RFC 4291 §2.4): not routable on the internet, routed by whoever configures them.
    // fec0::/10 site-local (deprecated, still routed by some networks), ::ffff:0:0:0/96 SIIT (RFC 6145, reaches
    // the IPv4 it carries: here 127.0.0.1), 5f00::/16 SRv6 SIDs (RFC 9602, not globally reachable), and unassigned space.
    const reserved = ['fec0::1', '::ffff:0:7f00:1', '::ffff:0:a9fe:a9fe', '5f00::1', '1::1', '100:0:0:1::1', '4000::1', 'e000::1', 'fe00::1'];
    expect.soft(reserved.filter((ip) => !isBlockedAddress(ip, none)), 'reserved IPv6 addresses the guard lets through').toEqual([]);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
        fc.pre(!inPrefix(value, '1', 3)); // 2000::/3
        fc.pre(!inPrefix(value, 'ffff', 96)); // ::ffff:0:0/96, judged by its IPv4
        fc.pre(!inPrefix(value, '64ff9b0000000000000000', 96)); // 64:ff9b::/96, judged by its IPv4
        expect(isBlockedAddress(ipv6(value), none), ipv6(value)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
