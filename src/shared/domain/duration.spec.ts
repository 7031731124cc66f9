import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['0s', 0],
    ['250ms', 250],
    ['5s', 5000],
    ['5m', 300_000],
    ['12h', 43_200_000],
    ['1d', 86_400_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '5', 's', '-5s', '1.5h', '5 m', '5w', '5S'])('%j is not a duration', (text) => expect(parseDuration(text)).toBeNull());
});
