import { afterAll, describe, expect, it } from 'vitest';
import { HostileReceiver, Hostility } from '../support/hostile-receiver.js';
import { readStream } from '../support/ledger-file.js';
import { eventually, Receiver } from '../support/receiver.js';
import { createTenant, Service } from '../support/service.js';
import { ServiceProcess } from '../support/service-process.js';

const TIMEOUT_MS = 1000;
const EVENTS_EACH = 6;
const MiB = 1024 * 1024;

/** What each hostile receiver's attempts must end as. */
const EXPECTED: Record<Hostility, { errorClass: string | null; status: number | null }> = {
  'slow-headers': { errorClass: 'timeout', status: null },
  'giant-body': { errorClass: null, status: 500 },
  'never-answers': { errorClass: 'timeout', status: null },
  'stalled-body': { errorClass: 'timeout', status: null },
  'not-http': { errorClass: 'protocol', status: null },
  'bad-header': { errorClass: 'protocol', status: null },
  reset: { errorClass: 'reset', status: null },
};

describe('hostile receivers', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('ends every attempt as a recorded failure within the timeout, and the service returns to its baseline of sockets and memory', async () => {
    const service = await Service.start();
    cleanup.push(() => service.dispose());
    const tenant = await createTenant(service);
    const admin = service.api(tenant.keys.admin.key);
    const publisher = service.api(tenant.keys.publisher.key);
    const proc = ServiceProcess.of(service);

    // Baseline: the service warmed up by one full delivery to a well-behaved receiver, then left idle.
    const friendly = await Receiver.start();
    cleanup.push(() => friendly.close());
    expect((await admin.post('/v1/subscriptions', { url: friendly.url, eventTypes: ['friendly.*'] })).status).toBe(201);
    expect((await publisher.post('/v1/events', { type: 'friendly.hello', data: {} })).status).toBe(202);
    await friendly.waitFor(2);
    const baseline = await settledSockets(proc);
    const baselineRss = proc.memory().rss;

    const hostile = new Map<Hostility, HostileReceiver>();
    for (const hostility of Object.keys(EXPECTED) as Hostility[]) {
      const receiver = await HostileReceiver.start(hostility);
      cleanup.push(() => receiver.close());
      hostile.set(hostility, receiver);
      const created = await admin.post('/v1/subscriptions', { url: receiver.url, eventTypes: [`hostile.${hostility}`], timeoutMs: TIMEOUT_MS, retryPolicy: { schedule: ['0s'] } });
      expect(created.status).toBe(201);
    }
    const deliveries: Array<{ id: string; hostility: Hostility }> = [];
    const publishedAt = Date.now();
    for (const hostility of hostile.keys()) {
      for (let n = 0; n < EVENTS_EACH; n++) {
        const published = await publisher.post('/v1/events', { type: `hostile.${hostility}`, data: { n } });
        expect(published.status).toBe(202);
        deliveries.push({ id: published.body.deliveries[0].id, hostility });
      }
    }

    const histories = await eventually(
      () => {
        const all = deliveries.map((d) => ({ ...d, events: readStream(service.dataDir, `delivery-${d.id}`) }));
        return all.every((d) => d.events.at(-1)?.type === 'DeliveryFailed') ? all : undefined;
      },
      20_000,
      'every hostile delivery to fail',
    );
    const settledAfterMs = Date.now() - publishedAt;
    for (const { id, hostility, events } of histories) {
      const label = `${hostility} ${id}`;
      expect(events.map((e) => e.type), label).toEqual(['AttemptMade', 'DeliveryFailed']);
      const attempt = events[0]!.data;
      expect(attempt.durationMs, label).toBeLessThanOrEqual(TIMEOUT_MS + 250);
      expect(attempt.error?.class ?? null, `${label}: ${JSON.stringify(attempt.error)}`).toBe(EXPECTED[hostility].errorClass);
      expect(attempt.response?.status ?? null, label).toBe(EXPECTED[hostility].status);
      if (attempt.response) expect(Buffer.byteLength(attempt.response.body), label).toBeLessThanOrEqual(4096);
    }
    for (const [hostility, receiver] of hostile) expect(receiver.connections, hostility).toBe(EVENTS_EACH + 1);

    // The 8 GiB body was streamed and cut off, never allocated: the sender pulled a few MiB at most.
    const giant = hostile.get('giant-body')!;
    const peak = proc.memory().peakRss;
    expect(giant.bytesSent).toBeLessThan(64 * MiB * (EVENTS_EACH + 1));
    expect(peak - baselineRss).toBeLessThan(150 * MiB);

    // Every connection the service opened is closed again, hostile receivers still holding theirs open or not.
    const after = await settledSockets(proc);
    expect(after, `sockets: baseline ${baseline}, after ${after}`).toBeLessThanOrEqual(baseline);
    for (const [hostility, receiver] of hostile) expect(receiver.open, `${hostility}: connections the service left open`).toBe(0);
    const rss = proc.memory().rss;
    expect(rss - baselineRss).toBeLessThan(64 * MiB);
    console.log(
      `hostile-receivers: ${deliveries.length} attempts failed and recorded within ${settledAfterMs} ms; sockets ${baseline} → ${after}; ` +
        `RSS ${mib(baselineRss)} → ${mib(rss)} MiB (peak ${mib(peak)}); giant body pulled ${mib(giant.bytesSent)} MiB of ${EVENTS_EACH + 1} × 8 GiB offered`,
    );
  });
});

const mib = (bytes: number) => (bytes / MiB).toFixed(1);

/**
 * The socket count once it has held still for longer than any keep-alive timeout (5 s), so idle
 * connections (API clients, the friendly receiver) have had their chance to close.
 */
async function settledSockets(proc: ServiceProcess): Promise<number> {
  let count = proc.openSockets();
  let since = Date.now();
  while (Date.now() - since < 6000) {
    await new Promise((r) => setTimeout(r, 250));
    const now = proc.openSockets();
    if (now !== count) [count, since] = [now, Date.now()];
  }
  return count;
}
