import { afterAll, describe, expect, it } from 'vitest';
import { readStream } from '../support/ledger-file.js';
import { eventually, Receiver } from '../support/receiver.js';
import { createTenant, Service } from '../support/service.js';

describe('SSRF guard at connect time', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  async function blockedAll(service: Service, urls: string[]): Promise<void> {
    const tenant = await createTenant(service);
    const admin = service.api(tenant.keys.admin.key);
    for (const url of urls) {
      const created = await admin.post('/v1/subscriptions', { url, eventTypes: ['ssrf.*'], retryPolicy: { schedule: ['0s', '50ms'] } });
      expect(created.status, `${url}: ${JSON.stringify(created.body)}`).toBe(201);
    }
    const published = await service.api(tenant.keys.publisher.key).post('/v1/events', { type: 'ssrf.probe', data: {} });
    expect(published.body.deliveries).toHaveLength(urls.length);
    for (const { id } of published.body.deliveries) {
      const events = await eventually(() => {
        const s = readStream(service.dataDir, `delivery-${id}`);
        return s.at(-1)?.type === 'DeliveryFailed' ? s : undefined;
      }, 10_000, `delivery ${id} to fail`);
      expect(events.map((e) => e.type)).toEqual(['AttemptMade', 'DeliveryFailed']);
      expect(events[0]!.data).toMatchObject({ outcome: 'permanent', error: { class: 'blocked' }, response: null });
      expect(events[0]!.data.error.message).toMatch(/block/i);
    }
  }

  it('with only 127.0.0.1/32 allowed, blocks every other special address however it is written, and nothing reaches a listener', async () => {
    const service = await Service.start({ env: { HOOKLEDGER_ALLOWED_NETWORKS: '127.0.0.1/32' } });
    cleanup.push(() => service.dispose());
    const allowed = await Receiver.start();
    const second = await Receiver.start(undefined, '127.0.0.2');
    const ipv6 = await Receiver.start(undefined, '::1');
    cleanup.push(() => allowed.close(), () => second.close(), () => ipv6.close());
    const port = (r: Receiver) => new URL(r.url).port;

    await blockedAll(service, [
      `http://127.0.0.2:${port(second)}/`,
      'http://169.254.169.254/latest/meta-data/',
      `http://[::1]:${port(ipv6)}/`,
      `http://[::ffff:127.0.0.1]:${port(allowed)}/mapped`,
      `http://[::ffff:7f00:2]:${port(second)}/`,
      'http://10.0.0.1/',
      `http://2130706434:${port(second)}/`,
      `http://0x7f.0.0.2:${port(second)}/`,
      `http://0177.0.0.2:${port(second)}/`,
      'http://0.0.0.0/',
      'http://[::]/',
      'http://100.64.0.1/',
      'http://192.168.1.1/',
      'http://224.0.0.1/',
    ]);
    expect(second.received).toHaveLength(0);
    expect(ipv6.received).toHaveLength(0);
    expect(allowed.received.filter((r) => r.path === '/mapped')).toHaveLength(0);
  });

  it('blocks a host name that resolves to a loopback address outside the allow-list', async () => {
    const service = await Service.start({ env: { HOOKLEDGER_ALLOWED_NETWORKS: '127.0.0.2/32' } });
    cleanup.push(() => service.dispose());
    const target = await Receiver.start();
    cleanup.push(() => target.close());
    await blockedAll(service, [`http://localhost:${new URL(target.url).port}/`]);
    expect(target.received).toHaveLength(0);
  });
});
