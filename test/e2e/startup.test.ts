import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Service } from '../support/service.js';

function startWith(env: Record<string, string>) {
  return spawnSync(process.execPath, ['dist/main.js'], {
    env: { PATH: process.env.PATH ?? '', HOOKLEDGER_DATA_DIR: mkdtempSync(join(tmpdir(), 'hookledger-cfg-')), ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });
}

describe('start-up', () => {
  it.each([
    ['PORT', 'abc'],
    ['HOOKLEDGER_EVENT_STORE', 'postgres'],
    ['HOOKLEDGER_ALLOWED_NETWORKS', '10.0.0.0/40'],
    ['HOOKLEDGER_MAX_PAYLOAD_BYTES', 'lots'],
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
});
