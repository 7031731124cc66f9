import { describe, expect, it } from 'vitest';
import { hasPrefix, prefixedId } from './ids.js';

describe('prefixedId', () => {
  const random = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

  it('is prefixed, 26 characters after the prefix, and valid', () => {
    const id = prefixedId('sub', 1_700_000_000_000, random);
    expect(id).toMatch(/^sub_[0-9A-Z]{26}$/);
    expect(hasPrefix(id, 'sub')).toBe(true);
    expect(hasPrefix(id, 'evt')).toBe(false);
  });

  it('sorts by time', () => {
    const a = prefixedId('evt', 1_700_000_000_000, random);
    const b = prefixedId('evt', 1_700_000_000_001, new Uint8Array(10));
    expect(a < b).toBe(true);
  });

  it('differs with the random bytes', () => {
    expect(prefixedId('evt', 1, random)).not.toBe(prefixedId('evt', 1, new Uint8Array(10)));
  });
});
