import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventHash, serialisedEventHash } from './hash-chain.js';

describe('serialisedEventHash', () => {
  it('is the hash verification computes from the stored event', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue()), (id, type, data, metadata) => {
        const expected = eventHash({ id, type, data, metadata });
        expect(serialisedEventHash(id, type, JSON.stringify(data), JSON.stringify(metadata))).toBe(expected);
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  it('changes when any part changes', () => {
    const base = serialisedEventHash('a', 'T', '{"n":1}', '{"prevHash":null}');
    expect(serialisedEventHash('b', 'T', '{"n":1}', '{"prevHash":null}')).not.toBe(base);
    expect(serialisedEventHash('a', 'U', '{"n":1}', '{"prevHash":null}')).not.toBe(base);
    expect(serialisedEventHash('a', 'T', '{"n":2}', '{"prevHash":null}')).not.toBe(base);
    expect(serialisedEventHash('a', 'T', '{"n":1}', '{"prevHash":"x"}')).not.toBe(base);
  });
});
