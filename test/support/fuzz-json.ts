import fc from 'fast-check';

/**
 * JSON documents as the fuzzer writes them: objects are lists of entries, so a document can hold
 * what a JavaScript object cannot — a key twice, a `__proto__` key — and `Raw` holds text written
 * by hand (nesting deeper than a recursive serializer could walk).
 */
export type Json = null | boolean | number | string | Json[] | Obj | Raw;

export class Obj {
  constructor(readonly entries: ReadonlyArray<readonly [string, Json]>) {}

  static of(fields: Record<string, Json>): Obj {
    return new Obj(Object.entries(fields));
  }

  get(key: string): Json | undefined {
    return this.entries.find(([k]) => k === key)?.[1];
  }

  set(key: string, value: Json): Obj {
    return this.entries.some(([k]) => k === key)
      ? new Obj(this.entries.map(([k, v]) => [k, k === key ? value : v] as const))
      : new Obj([...this.entries, [key, value]]);
  }

  without(key: string): Obj {
    return new Obj(this.entries.filter(([k]) => k !== key));
  }

  /** Adds an entry even if the key is already there. */
  plus(key: string, value: Json): Obj {
    return new Obj([...this.entries, [key, value]]);
  }
}

export class Raw {
  constructor(readonly text: string) {}
}

export function jsonText(value: Json): string {
  if (value instanceof Raw) return value.text;
  if (value instanceof Obj) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  return JSON.stringify(value);
}

/** Plain JSON values (as JSON.parse would give) into documents. */
export function fromPlain(value: unknown): Json {
  if (Array.isArray(value)) return value.map(fromPlain);
  if (value !== null && typeof value === 'object') return new Obj(Object.entries(value).map(([k, v]) => [k, fromPlain(v)] as const));
  return value as Json;
}

export type Kind = 'string' | 'integer' | 'fraction' | 'boolean' | 'null' | 'array' | 'object';
const KINDS: Kind[] = ['string', 'integer', 'fraction', 'boolean', 'null', 'array', 'object'];

const small = fc.jsonValue({ maxDepth: 2 }).map(fromPlain);
const ARBITRARY: Record<Kind, fc.Arbitrary<Json>> = {
  string: fc.string({ maxLength: 40 }),
  integer: fc.integer(),
  fraction: fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
  boolean: fc.boolean(),
  null: fc.constant(null),
  array: fc.array(small, { maxLength: 3 }),
  object: fc.dictionary(fc.string({ maxLength: 8 }), small, { maxKeys: 3 }).map((o) => fromPlain(o)),
};

/** A value of any JSON kind but those listed. */
export function notOf(...accepted: Kind[]): fc.Arbitrary<Json> {
  return fc.oneof(...KINDS.filter((k) => !accepted.includes(k)).map((k) => ARBITRARY[k]));
}

/** A string that is not one of `values`. */
export function stringOtherThan(values: readonly string[]): fc.Arbitrary<string> {
  return fc.string({ maxLength: 20 }).filter((s) => !values.includes(s));
}

/** Nesting far past any sane depth limit (the DTO transformation overflows a few thousand down). */
export const deepValue: fc.Arbitrary<Json> = fc
  .tuple(fc.integer({ min: 2500, max: 9000 }), fc.boolean())
  .map(([depth, arrays]) => new Raw(arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)));

/** Key names that silently vanish on the way into a DTO, or pollute prototypes. */
export const reservedKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf');

/** Byte sequences that are not UTF-8: stray continuation, overlong, truncated, surrogate half, out of range. */
export const invalidUtf8 = fc.constantFrom(
  Buffer.from([0x80]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0xff]),
  Buffer.from([0xfe, 0xff]),
);
