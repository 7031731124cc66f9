import { describe, expect, it } from 'vitest';
import { generateApiKey, hashKey, keyIdOf, keyMatches } from './key-material.js';

describe('API key material', () => {
  it('generates a key whose id can be read back and whose hash matches', () => {
    const generated = generateApiKey(new Date('2026-01-01T00:00:00Z'));
    expect(generated.keyId).toMatch(/^key_[0-9A-Z]{26}$/);
    expect(keyIdOf(generated.key)).toBe(generated.keyId);
    expect(generated.keyHash).toBe(hashKey(generated.key));
    expect(generated.keyHash).not.toContain(generated.key);
    expect(keyMatches(generated.key, generated.keyHash)).toBe(true);
  });

  it('rejects another key, a malformed key and a malformed hash', () => {
    const a = generateApiKey(new Date());
    const b = generateApiKey(new Date());
    expect(keyMatches(b.key, a.keyHash)).toBe(false);
    expect(keyIdOf('hlk_nope')).toBeNull();
    expect(keyIdOf(`${a.key}x`)).toBeNull();
    expect(keyMatches(a.key, 'abc')).toBe(false);
  });
});
