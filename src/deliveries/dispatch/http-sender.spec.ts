import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpSender, type SendResult } from './http-sender.js';
import { isBlockedAddress, parseAllowList, type LookupAll } from './ssrf-guard.js';

// Every name a test resolves is answered here, so no query (and no traffic) leaves the machine.
let answer: (hostname: string, call: number) => string[] = () => [];
const lookupCalls: string[] = [];
const lookup: LookupAll = (hostname, _options, callback) => {
  lookupCalls.push(hostname);
  const addresses = answer(hostname, lookupCalls.filter((name) => name === hostname).length);
  if (addresses.length === 0) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
  else callback(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
};

const sender = new HttpSender({ allowedNetworks: ['127.0.0.1/32'], userAgent: 'hookledger/test', lookup });
const servers: Server[] = [];
const sockets = new Set<Socket>();

afterEach(async () => {
  answer = () => [];
  lookupCalls.length = 0;
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
});
afterAll(() => sender.close());

async function listen(server: Server, host = '127.0.0.1', port = 0): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: Socket) => (sockets.add(socket), socket.on('close', () => sockets.delete(socket))));
  await new Promise<void>((done) => server.listen(port, host, done));
  return (server.address() as AddressInfo).port;
}

/** A raw TCP receiver, for answers no HTTP server would give. */
const tcp = (onSocket: (socket: Socket) => void) => listen(createTcpServer(onSocket));

const post = (url: string, timeoutMs = 5_000, headers: Record<string, string> = {}) => sender.send({ url, headers, body: '{"n":1}', timeoutMs });

function expectError(result: SendResult, errorClass: string) {
  expect(result, JSON.stringify(result)).toMatchObject({ kind: 'error', errorClass });
}

describe('HttpSender against real receivers', () => {
  it('posts the body and headers and records a 200 answer', async () => {
    const received: { method?: string; url?: string; headers?: IncomingHttpHeaders; body?: string } = {};
    const port = await listen(
      createHttpServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          Object.assign(received, { method: req.method, url: req.url, headers: req.headers, body });
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '6', 'x-other': 'not recorded' }).end('thanks');
        });
      }),
    );

    const result = await post(`http://127.0.0.1:${port}/hooks?x=1`, 5_000, { 'webhook-id': 'evt_1', 'X-Team': 'core' });

    expect(result).toMatchObject({ kind: 'response', status: 200, body: 'thanks', headers: { 'content-type': 'text/plain', 'content-length': '6' } });
    expect(result.kind === 'response' && Object.keys(result.headers).sort()).toEqual(['content-length', 'content-type']);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(received).toMatchObject({ method: 'POST', url: '/hooks?x=1', body: '{"n":1}' });
    expect(received.headers).toMatchObject({ 'webhook-id': 'evt_1', 'x-team': 'core', 'user-agent': 'hookledger/test', 'content-type': 'application/json' });
  });

  it('records a 500 with its Retry-After', async () => {
    const port = await listen(createHttpServer((_req, res) => res.writeHead(500, { 'retry-after': '30' }).end('down')));
    expect(await post(`http://127.0.0.1:${port}/`)).toMatchObject({ kind: 'response', status: 500, body: 'down', headers: { 'retry-after': '30' } });
  });

  it('does not follow a redirect: the 302 is the answer, with its Location', async () => {
    const paths: string[] = [];
    const port = await listen(
      createHttpServer((req, res) => {
        paths.push(req.url ?? '');
        res.writeHead(302, { location: '/elsewhere' }).end();
      }),
    );

    expect(await post(`http://127.0.0.1:${port}/start`)).toMatchObject({ kind: 'response', status: 302, headers: { location: '/elsewhere' } });
    expect(paths).toEqual(['/start']);
  });

  it('records only the first 4 KiB of a body', async () => {
    const port = await listen(createHttpServer((_req, res) => res.writeHead(200).end('é'.repeat(10_000))));
    const result = await post(`http://127.0.0.1:${port}/`);
    expect(result.kind === 'response' && Buffer.byteLength(result.body)).toBeLessThanOrEqual(4_096);
    expect(result.kind === 'response' && result.body.startsWith('é'.repeat(2_000))).toBe(true);
  });

  it('times out on a receiver that accepts and never answers', async () => {
    const port = await tcp(() => undefined);
    const result = await post(`http://127.0.0.1:${port}/`, 500);
    expectError(result, 'timeout');
    expect(result.durationMs).toBeLessThan(500 + 2_000);
  });

  it('times out on a receiver that trickles its headers', async () => {
    const port = await tcp((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nX-Slow: ');
      const drip = setInterval(() => socket.write('a'), 50);
      socket.on('close', () => clearInterval(drip));
    });
    const result = await post(`http://127.0.0.1:${port}/`, 700);
    expectError(result, 'timeout');
    expect(result.durationMs).toBeLessThan(700 + 2_000);
  });

  it('times out on a body that trickles forever', async () => {
    const port = await tcp((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      const drip = setInterval(() => socket.write('1\r\na\r\n'), 50);
      socket.on('close', () => clearInterval(drip));
    });
    const result = await post(`http://127.0.0.1:${port}/`, 700);
    expectError(result, 'timeout');
    expect(result.durationMs).toBeLessThan(700 + 2_000);
  });

  it('cuts off an endless body: a normal answer, 4 KiB recorded, the socket destroyed', async () => {
    let closed = false;
    let written = 0;
    const port = await listen(
      createHttpServer((req, res) => {
        req.socket.on('close', () => (closed = true));
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(16_384, 'x');
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) written += chunk.length;
        };
        res.on('drain', pump);
        pump();
      }),
    );

    const result = await post(`http://127.0.0.1:${port}/`, 10_000);

    expect(result).toMatchObject({ kind: 'response', status: 200 });
    expect(result.kind === 'response' && result.body).toBe('x'.repeat(4_096));
    await expect.poll(() => closed).toBe(true);
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('reports a refused connection', async () => {
    const port = await tcp(() => undefined);
    await new Promise((done) => servers.pop()!.close(done));
    expectError(await post(`http://127.0.0.1:${port}/`), 'connect');
  });

  it('reports bytes that are not HTTP as a protocol error', async () => {
    const port = await tcp((socket) => socket.end('SMTP ready, not HTTP\r\n\r\n'));
    expectError(await post(`http://127.0.0.1:${port}/`), 'protocol');
  });

  it('reports a name that does not resolve as dns', async () => {
    expectError(await post('http://nowhere.test/'), 'dns');
  });

  it('never puts a header value in the message', async () => {
    const secret = 'whsec_c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw==';
    const port = await tcp(() => undefined);
    const result = await post(`http://127.0.0.1:${port}/`, 1_000, { 'X-Token': `${secret}\r\nInjected: 1` });
    expect(result.kind).toBe('error');
    expect(result.kind === 'error' && result.message).not.toContain(secret);
  });
});

describe('HttpSender SSRF guard, with only 127.0.0.1/32 allowed', () => {
  let accepted = 0;
  let port = 0;

  beforeAll(async () => {
    // Linux routes all of 127/8 to loopback, so a listener here shows whether anything got through.
    const bait = createTcpServer((socket) => (accepted++, socket.destroy()));
    await new Promise<void>((done) => bait.listen(0, '127.0.0.2', done));
    port = (bait.address() as AddressInfo).port;
    return () => new Promise<void>((done) => bait.close(() => done()));
  });

  it.each([
    ['127.0.0.2', () => `http://127.0.0.2:${port}/`],
    ['169.254.169.254 (cloud metadata)', () => `http://169.254.169.254:${port}/latest/meta-data/`],
    ['[::1]', () => `http://[::1]:${port}/`],
    ['[::ffff:127.0.0.2]', () => `http://[::ffff:127.0.0.2]:${port}/`],
    ['10.0.0.1', () => `http://10.0.0.1:${port}/`],
    ['2130706434 (decimal 127.0.0.2)', () => `http://2130706434:${port}/`],
    ['0x7f.0.0.2 (hex)', () => `http://0x7f.0.0.2:${port}/`],
    ['a name resolving to 127.0.0.2', () => `http://internal.test:${port}/`],
    ['a name with a public and a private address', () => `http://mixed.test:${port}/`],
  ])('blocks %s before connecting', async (_label, url) => {
    answer = (hostname) => (hostname === 'internal.test' ? ['127.0.0.2'] : hostname === 'mixed.test' ? ['93.184.216.34', '127.0.0.2'] : []);

    const result = await post(url(), 5_000);

    expectError(result, 'blocked');
    expect(result.kind === 'error' && result.message).toMatch(/blocked address \S+/);
    expect(accepted).toBe(0);
  });

  it('cannot be rebound: the name is judged on the answer it connects to', async () => {
    answer = (_hostname, call) => (call === 1 ? ['93.184.216.34'] : ['127.0.0.2']);
    // Validation (e.g. when the subscription was saved) sees a public address...
    const validated = await new Promise<string>((done) => lookup('rebind.test', { all: true }, (_error, addresses) => done(addresses[0]!.address)));
    expect(isBlockedAddress(validated, parseAllowList(['127.0.0.1/32']))).toBe(false);

    // ...and the attempt, answered 127.0.0.2, must not go there.
    const result = await post(`http://rebind.test:${port}/`);

    expectError(result, 'blocked');
    expect(result.kind === 'error' && result.message).toContain('127.0.0.2');
    expect(accepted).toBe(0);
  });

  it('connects to the very address it checked, not to a second answer', async () => {
    const paths: string[] = [];
    const allowedPort = await listen(createHttpServer((req, res) => (paths.push(req.url ?? ''), res.writeHead(204).end())));
    // 127.0.0.1 stands in for a public address: a guard resolving again to connect would land on 127.0.0.2.
    answer = (_hostname, call) => (call === 1 ? ['127.0.0.1'] : ['127.0.0.2']);
    await listen(createTcpServer((socket) => (accepted++, socket.destroy())), '127.0.0.2', allowedPort);

    const result = await post(`http://flip.test:${allowedPort}/ok`);

    expect(result).toMatchObject({ kind: 'response', status: 204 });
    expect(paths).toEqual(['/ok']);
    expect(lookupCalls).toEqual(['flip.test']);
    expect(accepted).toBe(0);
  });
});
