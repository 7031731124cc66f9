import { describe, expect, it } from 'vitest';
import { RecentCache } from './recent-cache.js';

describe('RecentCache', () => {
  it('keeps at least the last generation and forgets what is older than two', () => {
    const cache = new RecentCache<number, string>({ entries: 10 });
    for (let i = 0; i < 35; i++) cache.set(i, `v${i}`);
    // Generations of 10: 0–9, 10–19 and 20–29 rolled; 30–34 are current, 20–29 previous.
    for (let i = 20; i < 35; i++) expect(cache.get(i)).toBe(`v${i}`);
    for (let i = 0; i < 20; i++) expect(cache.get(i)).toBeUndefined();
  });

  it('rolls by weight as well as by count', () => {
    const cache = new RecentCache<string, string>({ entries: 1000, weight: 100 });
    cache.set('a', 'A', 60);
    cache.set('b', 'B', 60); // 120 ≥ 100: a and b move to the previous generation
    cache.set('c', 'C', 60);
    cache.set('d', 'D', 60); // rolls again: a and b are gone
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.get('d')]).toEqual([undefined, undefined, 'C', 'D']);
  });

  it('answers the newest value of a key and forgets a deleted one', () => {
    const cache = new RecentCache<string, number>({ entries: 3 });
    cache.set('k', 1);
    cache.set('x', 0);
    cache.set('y', 0); // rolls: k is in the previous generation
    cache.set('k', 2);
    expect(cache.get('k')).toBe(2);
    cache.delete('k');
    expect(cache.get('k')).toBeUndefined();
  });
});
