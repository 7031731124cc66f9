import fc from 'fast-check';
import { BlockList, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createGuardedConnector, isBlockedAddress, parseAllowList, type LookupAll } from './ssrf-guard.js';

const none = parseAllowList([]);
const loopbackOne = parseAllowList(['127.0.0.1/32']);

describe('isBlockedAddress', () => {
  it.each([
    '0.0.0.0', '0.255.255.255', '10.0.0.1', '10.255.255.255', '100.64.0.1', '100.127.255.254', '127.0.0.1', '127.255.255.254',
    '169.254.169.254', '172.16.0.1', '172.31.255.255', '192.0.0.8', '192.0.2.1', '192.88.99.1', '192.168.1.1', '198.18.0.1',
    '198.19.255.255', '198.51.100.7', '203.0.113.9', '224.0.0.1', '239.255.255.255', '240.0.0.1', '255.255.255.254', '255.255.255.255',
  ])('blocks the special-purpose IPv4 %s', (ip) => expect(isBlockedAddress(ip, none)).toBe(true));

  it.each(['1.1.1.1', '8.8.8.8', '93.184.216.34', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '192.169.0.1', '198.17.255.255', '198.20.0.0', '223.255.255.255'])(
    'lets the public IPv4 %s through',
    (ip) => expect(isBlockedAddress(ip, none)).toBe(false),
  );

  it.each([
    '::', '::1', '::7f00:1', '::8.8.8.8', '100::1', '2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:1ff::1', '2001:db8::1',
    '3fff::1', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'fe80::1%eth0', 'febf::1', 'ff02::1', 'ff0e::1',
  ])('blocks the special-purpose IPv6 %s', (ip) => expect(isBlockedAddress(ip, none)).toBe(true));

  it.each(['2606:4700:4700::1111', '2a00:1450:4001:81c::200e', '2001:200::1', '2001:4860:4860::8888', '[2606:4700:4700::1111]'])(
    'lets the public IPv6 %s through',
    (ip) => expect(isBlockedAddress(ip, none)).toBe(false),
  );

  it.each([
    ['::ffff:127.0.0.1', true], ['::ffff:7f00:1', true], ['::ffff:a9fe:a9fe', true], ['::ffff:8.8.8.8', false], ['::ffff:808:808', false],
    ['64:ff9b::10.0.0.1', true], ['64:ff9b::7f00:1', true], ['64:ff9b::8.8.8.8', false],
    ['2002:0a00:0001::1', true], ['2002:a9fe:a9fe::1', true], ['2002:0808:0808::1', false],
    // Local-use NAT64 /48, /56, /64 and /96 readings of 10.0.0.1, then 8.8.8.8 read every way.
    ['64:ff9b:1:a00:1::', true], ['64:ff9b:1:0:a:0:100::', true], ['64:ff9b:1:0:a:0:1:0', true], ['64:ff9b:1::a00:1', true],
    ['64:ff9b:1:808:8:808:808:808', false],
  ])('judges %s by the IPv4 it carries (blocked: %s)', (ip, blocked) => expect(isBlockedAddress(ip, none)).toBe(blocked));

  it.each(['', 'localhost', '2130706433', '0x7f.0.0.1', '127.1', '256.0.0.1', '::g', '1.2.3.4/32'])('blocks %j, which is not an IP address', (ip) =>
    expect(isBlockedAddress(ip, none)).toBe(true));

  it('opens exactly an allow-listed network as written, not its IPv6 spellings', () => {
    expect(isBlockedAddress('127.0.0.1', loopbackOne)).toBe(false);
    expect(isBlockedAddress('::ffff:127.0.0.1', loopbackOne)).toBe(true);
    expect(isBlockedAddress('[::ffff:7f00:1]', loopbackOne)).toBe(true);
    expect(isBlockedAddress('::ffff:127.0.0.1', parseAllowList(['::ffff:127.0.0.1/128']))).toBe(false);
    expect(isBlockedAddress('127.0.0.2', loopbackOne)).toBe(true);
    expect(isBlockedAddress('::ffff:127.0.0.2', loopbackOne)).toBe(true);
    expect(isBlockedAddress('::1', loopbackOne)).toBe(true);
  });

  it('opens IPv6 networks and wider IPv4 networks', () => {
    const allowed = parseAllowList(['::1/128', 'fd00::/8', '10.1.0.0/16']);
    expect(isBlockedAddress('::1', allowed)).toBe(false);
    expect(isBlockedAddress('fd12::1', allowed)).toBe(false);
    expect(isBlockedAddress('fc00::1', allowed)).toBe(true);
    expect(isBlockedAddress('10.1.200.3', allowed)).toBe(false);
    expect(isBlockedAddress('10.2.0.1', allowed)).toBe(true);
  });

  it('refuses an allow-list entry that is not a CIDR network', () => {
    for (const bad of ['127.0.0.1', '10.0.0.0/33', '::/129', 'localhost/8', '10.0.0.0/x']) expect(() => parseAllowList([bad])).toThrow(/CIDR/);
  });

  const ipv4 = fc.tuple(...Array.from({ length: 4 }, () => fc.integer({ min: 0, max: 255 }))).map((octets) => octets.join('.'));

  it('agrees with node:net BlockList on every IPv4 address', () => {
    const reference = new BlockList();
    for (const [network, prefix] of [
      ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
      ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
      ['224.0.0.0', 4], ['240.0.0.0', 4],
    ] as const) reference.addSubnet(network, prefix, 'ipv4');
    fc.assert(
      fc.property(ipv4, (ip) => {
        expect(isBlockedAddress(ip, none), ip).toBe(reference.check(ip, 'ipv4') || ip === '255.255.255.255');
      }),
      { numRuns: 2000 },
    );
  });

  it('judges every IPv4-mapped and NAT64 address as the IPv4 itself', () => {
    fc.assert(
      fc.property(ipv4, (ip) => {
        const expected = isBlockedAddress(ip, loopbackOne);
        const groups = ip.split('.').map(Number);
        const hex = `${((groups[0]! << 8) | groups[1]!).toString(16)}:${((groups[2]! << 8) | groups[3]!).toString(16)}`;
        for (const form of [`::ffff:${ip}`, `::ffff:${hex}`, `64:ff9b::${hex}`]) expect(isBlockedAddress(form, loopbackOne), form).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('createGuardedConnector', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
  });

  async function listen(server: Server, host: string): Promise<number> {
    servers.push(server);
    await new Promise<void>((done) => server.listen(0, host, done));
    return (server.address() as AddressInfo).port;
  }

  function connect(connector: ReturnType<typeof createGuardedConnector>, target: { hostname: string; port: number; protocol?: string }) {
    return new Promise<Socket>((done, fail) =>
      connector({ hostname: target.hostname, host: `${target.hostname}:${target.port}`, port: String(target.port), protocol: target.protocol ?? 'http:' }, (error, socket) =>
        error ? fail(error) : done(socket as Socket),
      ),
    );
  }

  const answering = (...answers: string[][]): LookupAll & { calls: string[] } => {
    const calls: string[] = [];
    return Object.assign<LookupAll, { calls: string[] }>(
      (hostname, _options, callback) => {
        calls.push(hostname);
        callback(null, (answers[calls.length - 1] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
      },
      { calls },
    );
  };

  it('connects to the address it resolved and checked', async () => {
    let accepted = 0;
    const port = await listen(createServer((socket) => (accepted++, socket.destroy())), '127.0.0.1');
    const lookup = answering(['127.0.0.1']);

    const socket = await connect(createGuardedConnector(loopbackOne, { lookup }), { hostname: 'receiver.test', port });
    const remoteAddress = socket.remoteAddress;
    socket.destroy();

    expect(remoteAddress).toBe('127.0.0.1');
    expect(lookup.calls).toEqual(['receiver.test']);
    await expect.poll(() => accepted).toBe(1);
  });

  it('refuses a name if any of its addresses is blocked, naming that address', async () => {
    const connector = createGuardedConnector(loopbackOne, { lookup: answering(['127.0.0.1', '127.0.0.2']) });
    await expect(connect(connector, { hostname: 'receiver.test', port: 9 })).rejects.toMatchObject({
      code: 'HOOKLEDGER_BLOCKED',
      message: expect.stringContaining('127.0.0.2'),
    });
  });

  it('checks IP literals, bracketed IPv6 included, without asking DNS', async () => {
    const lookup = answering();
    const connector = createGuardedConnector(loopbackOne, { lookup });
    for (const hostname of ['127.0.0.2', '[::1]', '::1', '169.254.169.254']) {
      await expect(connect(connector, { hostname, port: 9 })).rejects.toMatchObject({ code: 'HOOKLEDGER_BLOCKED' });
    }
    expect(lookup.calls).toEqual([]);
  });

  it('passes DNS failures through, and treats an empty answer as not found', async () => {
    const failing: LookupAll = (hostname, _options, callback) =>
      callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
    await expect(connect(createGuardedConnector(loopbackOne, { lookup: failing }), { hostname: 'nowhere.test', port: 9 })).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(connect(createGuardedConnector(loopbackOne, { lookup: answering([]) }), { hostname: 'nowhere.test', port: 9 })).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('sends the host name, not the address, as the TLS server name', async () => {
    const names: string[] = [];
    // No certificate needed: SNI arrives in the ClientHello, before the handshake fails.
    const server = createTlsServer({ SNICallback: (name, callback) => (names.push(name), callback(new Error('no certificate'))) });
    server.on('tlsClientError', () => undefined);
    const port = await listen(server, '127.0.0.1');
    const connector = createGuardedConnector(loopbackOne, { lookup: answering(['127.0.0.1']) });

    await expect(connect(connector, { hostname: 'hooks.example.com', port, protocol: 'https:' })).rejects.toThrow();
    expect(names).toEqual(['hooks.example.com']);
  });
});
