import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEsdbDouble } from '../support/esdb-double/esdb-double.js';
import { readLedger } from '../support/ledger-file.js';
import { eventually, Receiver } from '../support/receiver.js';
import { Api, createTenant, Service, ServiceOptions } from '../support/service.js';
import { SmallDisk } from '../support/small-disk.js';

const PROBLEM = 'application/problem+json';

interface Answer {
  status: number;
  contentType: string | null;
  body: any;
}

/**
 * Publishers sending continuously, each event with its own id, recording every answer. A network
 * error (the service gone) counts as no answer.
 */
class Publishers {
  readonly answers = new Map<string, Answer>();
  private running = true;
  private next = 0;
  private readonly loops: Array<Promise<void>>;

  constructor(private readonly api: Api, prefix: string, writers = 4) {
    this.loops = Array.from({ length: writers }, async () => {
      while (this.running) {
        const id = `${prefix}-${this.next++}`;
        // A payload of a few KiB, so that a full disk shows up within a few hundred events.
        const response = await this.api.post('/v1/events', { id, type: 'fault.probe', data: { pad: 'x'.repeat(2000) } }).catch(() => null);
        if (response) this.answers.set(id, { status: response.status, contentType: response.headers.get('content-type'), body: response.body });
        await new Promise((r) => setTimeout(r, 5));
      }
    });
  }

  count(status: number): number {
    return [...this.answers.values()].filter((a) => a.status === status).length;
  }

  ids(status: number): string[] {
    return [...this.answers].filter(([, a]) => a.status === status).map(([id]) => id);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Counts by status, for the failure messages and the log. */
  summary(): string {
    const counts = new Map<number, number>();
    for (const { status } of this.answers.values()) counts.set(status, (counts.get(status) ?? 0) + 1);
    return [...counts].sort().map(([status, n]) => `${n}×${status}`).join(', ');
  }
}

const ready = async (service: Service) => (await service.api('').get('/ready')).status;

/** Waits for /ready to answer 200; on a timeout the error carries its last answer. */
async function untilReady(service: Service, timeoutMs: number): Promise<void> {
  let last: unknown;
  await eventually(async () => {
    const response = await service.api('').get('/ready');
    last = response.body;
    return response.status === 200;
  }, timeoutMs).catch(() => {
    throw new Error(`/ready did not turn true within ${timeoutMs} ms; it answers ${JSON.stringify(last)}`);
  });
}

/** Every refusal is a 503 problem; nothing but a 202 or a 503 is ever answered. */
function expectOnly202Or503(publishers: Publishers): void {
  const others = [...publishers.answers].filter(([, a]) => a.status !== 202 && a.status !== 503);
  expect.soft(others.length, `answers other than 202 and 503 (${publishers.summary()}), first: ${JSON.stringify(others[0])}`).toBe(0);
  for (const [id, answer] of publishers.answers) {
    if (answer.status !== 503) continue;
    expect(answer.contentType, id).toContain(PROBLEM);
    expect(answer.body, id).toMatchObject({ status: 503, code: 'LEDGER.UNAVAILABLE', detail: expect.any(String) });
  }
}

const storedEventIds = (service: Service) =>
  new Set(readLedger(service.dataDir).filter((r) => r.type === 'EventCreated').map((r) => JSON.parse(r.data).eventId as string));

describe('store faults: the ledger cannot write, then can again', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  /** A service with a subscription to a receiver answering 200, and its publisher's API. */
  async function serviceWithReceiver(options: ServiceOptions) {
    const service = await Service.start(options);
    cleanup.push(() => service.dispose());
    const receiver = await Receiver.start();
    cleanup.push(() => receiver.close());
    const tenant = await createTenant(service);
    const created = await service.api(tenant.keys.admin.key).post('/v1/subscriptions', { url: receiver.url, eventTypes: ['fault.*'], timeoutMs: 1000, retryPolicy: { schedule: ['0s', '100ms', '500ms', '1s', '2s'] } });
    expect(created.status).toBe(201);
    return { service, receiver, publisher: service.api(tenant.keys.publisher.key), auditor: service.api(tenant.keys.auditor.key) };
  }

  /** A tmpfs of `sizeMiB`; null, with a notice, where mounting is refused (not root). */
  function smallDisk(sizeMiB: number): SmallDisk | null {
    const disk = SmallDisk.mount(sizeMiB);
    if (!disk) console.warn('store-faults: cannot mount a tmpfs here (needs root); this disk-full case is skipped');
    else cleanup.push(() => disk.dispose());
    return disk;
  }

  /** Once the fault is gone: /ready back without a restart, fifty more events accepted, then the publishers stop. */
  async function recovers(service: Service, publishers: Publishers, label: string): Promise<void> {
    await untilReady(service, 15_000);
    const before = publishers.count(202);
    await eventually(() => publishers.count(202) >= before + 50, 10_000, 'publishing to work again');
    await publishers.stop();
    console.log(`store-faults ${label}: ${publishers.summary()}`);
  }

  const deliveredAll = (receiver: Receiver, publishers: Publishers) =>
    eventually(() => {
      const seen = new Set(receiver.events().map((r) => r.headers['webhook-id']));
      return publishers.ids(202).every((id) => seen.has(id));
    }, 30_000, 'every accepted event to be delivered');

  it('SQLite on a full disk: publishing answers 503, /ready turns false, and both recover once space is freed, without a restart', async () => {
    const disk = smallDisk(64);
    if (!disk) return;
    const { service, receiver, publisher } = await serviceWithReceiver({ dataDir: disk.dir });
    disk.fill();

    for (let n = 0; n < 5; n++) {
      const refused = await publisher.post('/v1/events', { id: `full-${n}`, type: 'fault.probe', data: {} });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toContain(PROBLEM);
      expect(refused.body).toMatchObject({ status: 503, code: 'LEDGER.UNAVAILABLE' });
    }
    expect(await ready(service)).toBe(503);

    disk.clear();
    await untilReady(service, 10_000);
    expect((await publisher.post('/v1/events', { id: 'after-full', type: 'fault.probe', data: {} })).status).toBe(202);
    await eventually(() => receiver.events().some((r) => r.headers['webhook-id'] === 'after-full'), 10_000, 'the delivery after recovery');
    const stored = storedEventIds(service);
    expect([0, 1, 2, 3, 4].filter((n) => stored.has(`full-${n}`))).toEqual([]);
  });

  it('SQLite filling up under load: never a 202 for an event it could not store, /ready false throughout, and recovery without a restart', async () => {
    const disk = smallDisk(64);
    if (!disk) return;
    const { service, receiver, publisher } = await serviceWithReceiver({ dataDir: disk.dir });
    const publishers = new Publishers(publisher, 'load');
    // Past the first WAL checkpoints, so the ledger has reusable space when the disk fills and the read models may not.
    await eventually(() => publishers.count(202) >= 1200, 20_000, 'a first 1200 events');
    disk.fill();
    await eventually(() => publishers.count(503) >= 20, 20_000, `refusals once the disk is full (so far ${publishers.summary()})`);
    // Sampled while the disk stays full: not once may it claim to be ready.
    const readiness: number[] = [];
    for (let i = 0; i < 20; i++) {
      readiness.push(await ready(service));
      await new Promise((r) => setTimeout(r, 50));
    }
    expect.soft(readiness.join(','), `/ready while the disk is full (publishing so far: ${publishers.summary()})`).toBe(Array(20).fill(503).join(','));
    expectOnly202Or503(publishers);

    disk.clear();
    await recovers(service, publishers, 'sqlite');
    expectOnly202Or503(publishers);
    const stored = storedEventIds(service);
    expect(publishers.ids(202).filter((id) => !stored.has(id)), 'acknowledged but not in the ledger').toEqual([]);
    expect(publishers.ids(503).filter((id) => stored.has(id)), 'refused with 503 ("nothing was recorded") but in the ledger').toEqual([]);
    // Deliveries stalled by the full disk go out once it has space again.
    await deliveredAll(receiver, publishers);
  });

  it('SQLite read models on a full disk while the ledger still writes: no 5xx for a stored event, /ready false, and the views recover without a restart', async () => {
    // Only the read-model file (SQLite follows the link, WAL included) lives on the small disk: deterministic, the
    // ledger keeps committing while every projection write fails. Under load on one full disk, this happens by chance.
    const disk = smallDisk(16);
    if (!disk) return;
    const dataDir = mkdtempSync(join(tmpdir(), 'hookledger-e2e-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    symlinkSync(join(disk.dir, 'read-model.db'), join(dataDir, 'read-model.db'));
    const { service, receiver, publisher, auditor } = await serviceWithReceiver({ dataDir });

    const publishers = new Publishers(publisher, 'views');
    await eventually(() => publishers.count(202) >= 50, 10_000, 'a first fifty events');
    disk.fill();
    // A write that reuses WAL space already on the disk still succeeds: the first to need a new block is refused, and
    // when that comes depends on how much each commit writes. From then on the service must not claim to be ready.
    await eventually(async () => (await ready(service)) === 503, 20_000, `/ready false once a view write is refused (publishing when the disk filled: ${publishers.summary()})`);
    const refusedAt = publishers.answers.size;
    await eventually(() => publishers.answers.size >= refusedAt + 100, 20_000, 'a hundred answers with the views refused');
    expect.soft(await ready(service), '/ready while the read models cannot be written').toBe(503);
    const failedButStored = () => {
      const stored = storedEventIds(service);
      return [...publishers.answers].filter(([id, a]) => a.status >= 500 && stored.has(id)).map(([id, a]) => `${id}: ${a.status} ${a.body?.detail}`);
    };
    const whileFull = failedButStored();
    expect.soft(whileFull.length, `answered 5xx although stored (${publishers.summary()}), e.g. ${whileFull.slice(0, 2).join('; ')}`).toBe(0);

    disk.clear();
    await recovers(service, publishers, 'read models');
    expect(failedButStored()).toEqual([]);
    const stored = storedEventIds(service);
    expect(publishers.ids(202).filter((id) => !stored.has(id)), 'acknowledged but not in the ledger').toEqual([]);
    for (const id of publishers.ids(202).slice(-20)) expect((await auditor.get(`/v1/events/${id}`)).status, id).toBe(200);
    await deliveredAll(receiver, publishers);
  });

  it('EventStoreDB going away and coming back on the same port: 503 while it is gone, /ready false, then recovery without a restart', async () => {
    const double = await startEsdbDouble();
    cleanup.push(() => double.stop());
    const { service, receiver, publisher, auditor } = await serviceWithReceiver({ env: { HOOKLEDGER_EVENT_STORE: 'esdb', HOOKLEDGER_ESDB_URL: double.url } });
    const publishers = new Publishers(publisher, 'esdb');
    await eventually(() => publishers.count(202) >= 50, 10_000, 'a first fifty events');
    await double.stop();
    await eventually(() => publishers.count(503) >= 20, 20_000, `refusals while the store is gone (so far ${publishers.summary()})`);
    expect.soft(await ready(service)).toBe(503);

    await double.restart();
    await recovers(service, publishers, 'esdb');
    expectOnly202Or503(publishers);
    for (const id of publishers.ids(202)) expect((await auditor.get(`/v1/events/${id}`)).status, `acknowledged ${id}`).toBe(200);
    for (const id of publishers.ids(503)) expect((await auditor.get(`/v1/events/${id}`)).status, `refused ${id}`).toBe(404);
    await deliveredAll(receiver, publishers);
  });
});
