import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { structureProblem } from './http-middleware.js';

/** Keys and strings made of the characters that make string scanning hard: quotes, backslashes, colons. */
const tricky = fc.string({ unit: fc.constantFrom('"', '\\', ':', ',', '{', '}', '[', ']', 'a', 'b', ' ', '\n', 'é'), maxLength: 12 });
const value = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: 'small' }, tricky, fc.integer(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('any'), { maxLength: 4 }),
  object: fc.dictionary(tricky.filter((k) => k !== '__proto__'), tie('any'), { maxKeys: 4 }),
})).any;

describe('structureProblem', () => {
  it('accepts any JSON without repeated keys, whatever its strings hold', () => {
    fc.assert(fc.property(value, (v) => structureProblem(JSON.stringify(v)) === null));
  });

  it('finds a key repeated in one object, escaped or not, and only there', () => {
    fc.assert(
      fc.property(tricky, tricky, value, (key, other, v) => {
        const k = JSON.stringify(key);
        expect(structureProblem(`{${k}:1,"x":${JSON.stringify(v)},${k}:2}`)?.code).toBe('REQUEST.DUPLICATE_KEY');
        // The same key in two sibling objects, and a string that spells a repeated key inside it, are fine.
        expect(structureProblem(`[{${k}:1},{${k}:2}]`)).toBeNull();
        expect(structureProblem(JSON.stringify({ a: `${k}:1,${k}:2`, b: other }))).toBeNull();
      }),
    );
  });

  it('finds a repeated key however many keys its object has, before and after the repeat', () => {
    for (const count of [2, 15, 16, 17, 40]) {
      const keys = Array.from({ length: count }, (_, i) => `k${i}`);
      const object = (members: string[]) => `{${members.join(',')}}`;
      const members = keys.map((key, i) => `"${key}":${i}`);
      expect(structureProblem(object(members))).toBeNull();
      // Each key repeated at the end, and the first repeated at every place after it: past the point where the keys no longer fit a list too.
      for (const key of keys) expect(structureProblem(object([...members, `"${key}":"again"`]))?.code).toBe('REQUEST.DUPLICATE_KEY');
      for (let at = 1; at <= count; at++) {
        const repeated = [...members];
        repeated.splice(at, 0, '"k0":"again"');
        expect(structureProblem(object(repeated))?.code).toBe('REQUEST.DUPLICATE_KEY');
      }
    }
  });

  it('refuses a __proto__ key, also spelled with escapes', () => {
    expect(structureProblem('{"a":{"__proto__":{}}}')?.code).toBe('REQUEST.FORBIDDEN_KEY');
    expect(structureProblem('{"\\u005f_proto__":1}')?.code).toBe('REQUEST.FORBIDDEN_KEY');
    expect(structureProblem('{"a":"\\"__proto__\\":1"}')).toBeNull();
  });
});
