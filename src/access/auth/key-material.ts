import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { newId } from '../../shared/crypto/random-ids.js';

/**
 * A key is `hlk_<id>_<secret>`: the id part finds the stored hash without a scan, the 32 random
 * bytes of the secret are what makes it unguessable. Only sha256(key) is ever stored; a fast hash
 * is enough for 256 bits of randomness.
 */
const KEY = /^hlk_([0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedKey {
  keyId: string;
  key: string;
  keyHash: string;
}

export function generateApiKey(now: Date): GeneratedKey {
  const keyId = newId('key', now.getTime());
  const key = `hlk_${keyId.slice(4)}_${randomBytes(32).toString('base64url')}`;
  return { keyId, key, keyHash: hashKey(key) };
}

/** The key id a presented key claims, or null when it is not shaped like one of ours. */
export function keyIdOf(key: string): string | null {
  const match = KEY.exec(key);
  return match ? `key_${match[1]}` : null;
}

export function generateRootKey(): string {
  return `hlr_${randomBytes(32).toString('base64url')}`;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Compares a presented key with a stored hash in constant time. */
export function keyMatches(key: string, storedHash: string): boolean {
  const presented = Buffer.from(hashKey(key), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
