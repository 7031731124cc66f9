import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMasterKey, SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips and never contains the plaintext', () => {
    const sealed = box.seal('whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=');
    expect(sealed).not.toContain('whsec_');
    expect(sealed.startsWith(`v1:${box.keyId}:`)).toBe(true);
    expect(box.open(sealed)).toBe('whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=');
  });

  it('seals the same value differently each time', () => {
    expect(box.seal('x')).not.toBe(box.seal('x'));
  });

  it('refuses a tampered value and another key', () => {
    const sealed = box.seal('secret');
    const parts = sealed.split(':');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join(':'))).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow(/master key/);
  });
});

describe('loadMasterKey', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookledger-mk-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('generates a key into a fresh data directory once, readable only by its owner', () => {
    const dir = dataDir();
    const first = loadMasterKey(dir, undefined);
    expect(first).toHaveLength(32);
    expect(loadMasterKey(dir, undefined).equals(first)).toBe(true);
    expect(statSync(join(dir, 'master.key')).mode & 0o077).toBe(0);
    expect(readFileSync(join(dir, 'master.key'), 'utf8').trim()).toBe(first.toString('base64'));
  });

  it('prefers the configured key', () => {
    const configured = randomBytes(32);
    const dir = dataDir();
    expect(loadMasterKey(dir, configured.toString('base64')).equals(configured)).toBe(true);
  });
});
