import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateRootKey, hashKey } from './key-material.js';

export interface RootKey {
  hash: string;
  /** Set only on the start that generated it, so it can be printed once. */
  generated?: string;
}

/**
 * The root key's hash: from HOOKLEDGER_ROOT_KEY, or from the data directory, or generated there on
 * a fresh one. The generated key itself is never written anywhere.
 */
export function loadRootKey(dataDir: string, configured: string | undefined): RootKey {
  if (configured) return { hash: hashKey(configured) };
  const file = join(dataDir, 'root-key.sha256');
  if (existsSync(file)) return { hash: readFileSync(file, 'utf8').trim() };
  const generated = generateRootKey();
  writeFileSync(file, hashKey(generated) + '\n', { mode: 0o600, flag: 'wx' });
  return { hash: hashKey(generated), generated };
}
