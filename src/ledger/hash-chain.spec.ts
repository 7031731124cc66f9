import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventHash, serialisedEventHash } from './hash-chain.js';

/** SPEC §3 as written: sha256 over the JSON of [id, type, data, metadata]. */
const specified = (id: string, type: string, data: unknown, metadata: unknown) =>
  createHash('sha256').update(JSON.stringify([id, type, data, metadata])).digest('hex');

describe('serialisedEventHash', () => {
  it('is the hash of the JSON array [id, type, data, metadata], as verification computes it from the stored event', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue()), (id, type, data, metadata) => {
        const expected = specified(id, type, data, metadata);
        expect(serialisedEventHash(id, type, JSON.stringify(data), JSON.stringify(metadata))).toBe(expected);
        expect(eventHash({ id, type, data, metadata })).toBe(expected);
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
