import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTenant, Service } from '../support/service.js';
import { ServiceProcess } from '../support/service-process.js';

function startWith(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookledger-cfg-'));
  try {
    return spawnSync(process.execPath, ['dist/main.js'], {
      env: { PATH: process.env.PATH ?? '', HOOKLEDGER_DATA_DIR: dataDir, ...env },
      encoding: 'utf8',
      timeout: 15_000,
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('start-up', () => {
  it.each([
    ['PORT', 'abc'],
    ['HOOKLEDGER_EVENT_STORE', 'postgres'],
    ['HOOKLEDGER_ALLOWED_NETWORKS', '10.0.0.0/40'],
    ['HOOKLEDGER_MAX_PAYLOAD_BYTES', 'lots'],
    ['HOOKLEDGER_HELPER_THREAD_NICE', '20'],
  ])('stops with a non-zero exit naming %s=%s', (name, value) => {
    const result = startWith({ [name]: value });
    expect(result.status).not.toBe(0);
    expect(result.status).not.toBeNull();
    expect(result.stderr).toContain(name);
    expect(result.stdout).not.toContain('listening');
  });

  const services: Service[] = [];
  afterAll(async () => {
    for (const s of services) await s.dispose();
  });

  it('generates a root key on a fresh data directory, prints it once, and keeps only its hash', async () => {
    const service = await Service.start({ env: { HOOKLEDGER_ROOT_KEY: '' } });
    services.push(service);
    const match = /\s(hlr_[A-Za-z0-9_-]{43})\s/.exec(service.stderr);
    expect(match).not.toBeNull();
    const rootKey = match![1]!;
    expect(service.stdout).not.toContain(rootKey);
    expect((await service.api(rootKey).post('/v1/tenants', { name: 'first' })).status).toBe(201);

    await service.stop();
    service.stderr = '';
    await service.restart();
    expect(service.stderr).not.toContain('hlr_');
    expect((await service.api(rootKey).get('/v1/tenants')).status).toBe(200);
    const { readdirSync, readFileSync } = await import('node:fs');
    for (const file of readdirSync(service.dataDir)) {
      expect(readFileSync(join(service.dataDir, file)).includes(rootKey)).toBe(false);
    }
  });

  it('runs the threads it starts with ten nice steps below its main thread, and the ledger writer it starts later at the main thread’s', async () => {
    const service = await Service.start();
    services.push(service);
    const running = ServiceProcess.of(service);
    const [main, ...helpers] = running.threads();
    // V8's platform workers at least (four on any machine), and libuv's pool.
    expect(helpers.length).toBeGreaterThanOrEqual(4);
    for (const helper of helpers) expect(helper.nice, `thread ${helper.id}`).toBe(Math.min(19, main!.nice + 10));

    // The first append starts the ledger's writer thread.
    await createTenant(service);
    const started = running.threads().filter((thread) => thread.id !== main!.id && !helpers.some((helper) => helper.id === thread.id));
    expect(started.length).toBeGreaterThanOrEqual(1);
    for (const thread of started) expect(thread.nice, `thread ${thread.id}`).toBe(main!.nice);
  });

  it('leaves its threads’ priority alone with HOOKLEDGER_HELPER_THREAD_NICE=0', async () => {
    const service = await Service.start({ env: { HOOKLEDGER_HELPER_THREAD_NICE: '0' } });
    services.push(service);
    const [main, ...others] = ServiceProcess.of(service).threads();
    expect(others.length).toBeGreaterThanOrEqual(4);
    for (const thread of others) expect(thread.nice, `thread ${thread.id}`).toBe(main!.nice);
  });
});
