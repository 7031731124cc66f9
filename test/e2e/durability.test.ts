import { afterAll, describe, expect, it } from 'vitest';
import { dumpReadModel, readLedger } from '../support/ledger-file.js';
import { Service } from '../support/service.js';

describe('durability of acknowledged writes', () => {
  const services: Service[] = [];
  afterAll(async () => {
    for (const s of services) await s.dispose();
  });

  it('keeps every acknowledged event through kill -9 and a restart', async () => {
    const service = await Service.start();
    services.push(service);
    const root = service.api();
    const tenant = await root.post('/v1/tenants', { name: 'durable' });
    expect(tenant.status).toBe(201);

    // Keep 40 writers issuing keys, and kill -9 the service while many are in flight.
    const acknowledged: Array<{ id: string; key: string }> = [];
    let stop = false;
    const writer = async () => {
      while (!stop) {
        try {
          const r = await root.post('/v1/api-keys', { name: 'k', role: 'auditor', tenantId: tenant.body.id });
          if (r.status === 201) acknowledged.push({ id: r.body.id, key: r.body.key });
        } catch {
          return; // the connection died with the process: that request was never acknowledged
        }
      }
    };
    const writers = Array.from({ length: 40 }, writer);
    while (acknowledged.length < 150) await new Promise((r) => setTimeout(r, 5));
    await service.crash();
    stop = true;
    await Promise.all(writers);

    const streams = new Set(readLedger(service.dataDir).map((row) => row.stream));
    const lost = acknowledged.filter((k) => !streams.has(`apikey-${k.id}`));
    expect(lost).toEqual([]);

    await service.restart();
    const listed = await service.api(acknowledged[0]!.key).get('/v1/api-keys');
    expect(listed.status).toBe(200);
    const ids = new Set(listed.body.data.map((k: { id: string }) => k.id));
    expect(acknowledged.filter((k) => !ids.has(k.id))).toEqual([]);
    const last = acknowledged[acknowledged.length - 1]!;
    expect((await service.api(last.key).get('/v1/api-keys')).status).toBe(200);
  });

  it('rebuilds identical views after the read-model file is deleted', async () => {
    const service = await Service.start();
    services.push(service);
    const root = service.api();
    for (let t = 0; t < 3; t++) {
      const tenant = await root.post('/v1/tenants', { name: `tenant-${t}` });
      const keys = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          root.post('/v1/api-keys', { name: `key-${i}`, role: i % 2 ? 'auditor' : 'admin', tenantId: tenant.body.id }),
        ),
      );
      const admin = service.api(keys[0]!.body.key);
      for (const k of keys.slice(5)) expect((await admin.delete(`/v1/api-keys/${k.body.id}`)).status).toBe(204);
    }
    expect(await service.stop()).toBe(0);
    const live = dumpReadModel(service.dataDir);
    expect(live.api_keys).toHaveLength(30);
    expect(live.tenants).toHaveLength(3);

    const { rmSync } = await import('node:fs');
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${service.dataDir}/read-model.db${suffix}`, { force: true });
    await service.restart();
    await waitForReady(service);
    expect(await service.stop()).toBe(0);
    expect(dumpReadModel(service.dataDir)).toEqual(live);
  });
});

async function waitForReady(service: Service): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await service.api('').get('/ready')).status === 200) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('service never became ready');
}
