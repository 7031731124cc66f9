import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies the defaults of SPEC §7', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      eventStore: 'sqlite',
      esdbUrl: 'esdb://localhost:2113?tls=false',
      allowInsecureUrls: false,
      allowedNetworks: [],
      maxPayloadBytes: 262_144,
      sqliteSynchronous: 'full',
      roles: ['api', 'worker'],
      helperThreadNice: 10,
    });
    expect(config.dataDir.endsWith('/data')).toBe(true);
  });

  it('reads every setting', () => {
    const config = loadConfig({
      PORT: '8080',
      HOOKLEDGER_EVENT_STORE: 'esdb',
      HOOKLEDGER_ALLOW_INSECURE_URLS: 'true',
      HOOKLEDGER_ALLOWED_NETWORKS: '127.0.0.1/32, ::1/128',
      HOOKLEDGER_MAX_PAYLOAD_BYTES: '1048576',
      HOOKLEDGER_SQLITE_SYNCHRONOUS: 'normal',
      HOOKLEDGER_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
      HOOKLEDGER_ROLES: 'worker',
      HOOKLEDGER_SECRET_GRACE: '1h',
      HOOKLEDGER_HELPER_THREAD_NICE: '0',
    });
    expect(config).toMatchObject({
      port: 8080,
      eventStore: 'esdb',
      allowInsecureUrls: true,
      allowedNetworks: ['127.0.0.1/32', '::1/128'],
      maxPayloadBytes: 1_048_576,
      sqliteSynchronous: 'normal',
      roles: ['worker'],
      secretGraceMs: 3_600_000,
      helperThreadNice: 0,
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['HOOKLEDGER_EVENT_STORE', 'postgres'],
    ['HOOKLEDGER_ALLOW_INSECURE_URLS', 'maybe'],
    ['HOOKLEDGER_ALLOWED_NETWORKS', '10.0.0.0/33'],
    ['HOOKLEDGER_ALLOWED_NETWORKS', 'localhost'],
    ['HOOKLEDGER_MAX_PAYLOAD_BYTES', '-1'],
    ['HOOKLEDGER_MASTER_KEY', 'short'],
    ['HOOKLEDGER_ROOT_KEY', 'tiny'],
    ['HOOKLEDGER_ESDB_URL', 'kurrentdb://localhost:2113'],
    ['HOOKLEDGER_ROLES', 'api,cron'],
    ['HOOKLEDGER_SECRET_GRACE', 'a day'],
    ['HOOKLEDGER_HELPER_THREAD_NICE', '20'],
    ['HOOKLEDGER_HELPER_THREAD_NICE', '-5'],
    ['HOOKLEDGER_HELPER_THREAD_NICE', 'low'],
  ])('names %s when it is %j', (name, value) => {
    const error = (() => {
      try {
        loadConfig({ [name]: value });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join('\n')).toContain(name);
  });

  it('never echoes a secret value it rejects', () => {
    expect(() => loadConfig({ HOOKLEDGER_ROOT_KEY: 'tiny secret' })).toThrow(/HOOKLEDGER_ROOT_KEY/);
    try {
      loadConfig({ HOOKLEDGER_ROOT_KEY: 'tiny secret' });
    } catch (e) {
      expect((e as Error).message).not.toContain('tiny secret');
    }
  });

  it('reports every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'abc', HOOKLEDGER_EVENT_STORE: 'x' })).toThrow(/PORT[\s\S]*HOOKLEDGER_EVENT_STORE/);
  });
});
