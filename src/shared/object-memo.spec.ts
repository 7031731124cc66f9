import { describe, expect, it } from 'vitest';
import { ObjectMemo } from './object-memo.js';

describe('ObjectMemo', () => {
  it('remembers a value on the object it was set on, and on no other', () => {
    const memo = new ObjectMemo<string>('test');
    const a = { n: 1 };
    memo.set(a, 'A');
    expect(memo.get(a)).toBe('A');
    expect(memo.get({ n: 1 })).toBeUndefined();
    memo.set(a, 'A2');
    expect(memo.get(a)).toBe('A2');
  });

  it('is left behind by JSON, spread, Object.assign, structured clone and key listings', () => {
    const memo = new ObjectMemo<string>('test');
    const a = { n: 1 };
    memo.set(a, 'A');
    expect(JSON.stringify(a)).toBe('{"n":1}');
    expect(memo.get({ ...a })).toBeUndefined();
    expect(memo.get(Object.assign({}, a))).toBeUndefined();
    expect(memo.get(structuredClone(a))).toBeUndefined();
    expect(Object.keys(a)).toEqual(['n']);
    expect(a).toEqual({ n: 1 });
  });

  it('keeps nothing on an object that cannot take a property, and does not throw', () => {
    const memo = new ObjectMemo<string>('test');
    const frozen = Object.freeze({ n: 1 });
    expect(() => memo.set(frozen, 'F')).not.toThrow();
    expect(memo.get(frozen)).toBeUndefined();
  });

  it('keeps two memos on one object apart', () => {
    const first = new ObjectMemo<string>('same description');
    const second = new ObjectMemo<string>('same description');
    const a = {};
    first.set(a, '1');
    second.set(a, '2');
    expect([first.get(a), second.get(a)]).toEqual(['1', '2']);
  });
});
