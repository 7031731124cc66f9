import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventHash, rememberHash, rememberStoredText, serialisedEventHash, storedEventHash, storedTextHash } from './hash-chain.js';

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

describe('storedEventHash', () => {
  const event = () => ({ id: 'e1', type: 'T', data: { n: 1 }, metadata: { prevHash: null } as Record<string, unknown> });

  it('is the event hash of an event read back from a store', () => {
    const read = event();
    expect(storedEventHash(read)).toBe(eventHash(read));
  });

  it('answers the hash the ledger appended with for the very metadata object it appended, and only for it', () => {
    const appended = event();
    rememberHash(appended.metadata, 'the appended hash');
    expect(storedEventHash(appended)).toBe('the appended hash');
    // The same event read back from the file is new objects: hashed from what is stored.
    expect(storedEventHash(event())).toBe(eventHash(event()));
  });

  it('hashes an event whose stored metadata is not an object', () => {
    const foreign = { id: 'e2', type: 'T', data: {}, metadata: null as unknown as Record<string, unknown> };
    expect(storedEventHash(foreign)).toBe(eventHash(foreign));
  });
});

describe('storedTextHash', () => {
  const read = (data: string, metadata: string) => {
    const event = { id: 'e3', type: 'T', data: JSON.parse(data) as unknown, metadata: JSON.parse(metadata) as Record<string, unknown> };
    rememberStoredText(event.metadata, data, metadata);
    return event;
  };

  it('hashes the text a store read the event from: the event hash, for the JSON the ledger writes', () => {
    const event = read('{"n":1,"s":"é\\u0000"}', '{"prevHash":null}');
    expect(storedTextHash(event)).toBe(serialisedEventHash('e3', 'T', '{"n":1,"s":"é\\u0000"}', '{"prevHash":null}'));
    expect(storedTextHash(event)).toBe(eventHash(event));
    expect(storedEventHash(event)).toBe(eventHash(event));
  });

  it('tells text that parses to the same event but differs in a byte', () => {
    const event = read('{"n": 1}', '{"prevHash":null}');
    expect(storedTextHash(event)).not.toBe(eventHash(event));
    expect(storedEventHash(event)).toBe(storedTextHash(event));
  });

  it('is the event hash when the store gave no text', () => {
    const event = { id: 'e4', type: 'T', data: { n: 1 }, metadata: { prevHash: null } };
    expect(storedTextHash(event)).toBe(eventHash(event));
  });
});
