import { describe, expect, it } from 'vitest';
import { eventTypePatternProblem, filterProblem, headerMapProblem, redactHeaders, scheduleEntryProblem, secretProblem, urlProblem } from './subscription-rules.js';

describe('subscription rules', () => {
  it.each(['call.completed', 'call.*', '*', 'a:b-c_d.e', 'x'])('accepts the event type pattern %j', (p) => expect(eventTypePatternProblem(p)).toBeNull());
  it.each(['', 'call.', '.call', 'call..x', 'call*', '*.call', 'ca ll', 'x'.repeat(129), 'call.*.x', 7])('rejects the event type pattern %j', (p) =>
    expect(eventTypePatternProblem(p)).not.toBeNull());

  it('accepts headers and rejects the reserved, the malformed and the oversized', () => {
    expect(headerMapProblem({ 'X-Team': 'core' })).toBeNull();
    for (const bad of [
      { Host: 'x' },
      { 'webhook-id': 'x' },
      { 'Content-Length': '1' },
      { 'Transfer-Encoding': 'x' },
      { Connection: 'x' },
      { 'bad name': 'x' },
      { 'X-A': 'a\r\nInjected: 1' },
      { 'X-A': 'x'.repeat(1025) },
      { 'X-A': 1 },
      Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-${i}`, 'v'])),
      [],
      'x',
    ]) {
      expect(headerMapProblem(bad), JSON.stringify(bad)).not.toBeNull();
    }
  });

  it('accepts filters of paths to values or lists, and rejects others', () => {
    expect(filterProblem({ list_id: ['A', 'B'], 'customer.tier': 'gold', n: 1, ok: true, none: null })).toBeNull();
    for (const bad of [{}, { 'a..b': 1 }, { __proto__x: 1, 'a.__proto__': 1 }, { a: { b: 1 } }, { a: [] }, { a: [{}] }, [], null]) {
      expect(filterProblem(bad), JSON.stringify(bad)).not.toBeNull();
    }
    expect(filterProblem(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 1])))).not.toBeNull();
  });

  it('accepts schedule entries up to 24h', () => {
    expect(scheduleEntryProblem('0s')).toBeNull();
    expect(scheduleEntryProblem('24h')).toBeNull();
    expect(scheduleEntryProblem('25h')).not.toBeNull();
    expect(scheduleEntryProblem('soon')).not.toBeNull();
  });

  it('accepts whsec_ secrets of 24 to 64 bytes', () => {
    expect(secretProblem(`whsec_${Buffer.alloc(24, 1).toString('base64')}`)).toBeNull();
    expect(secretProblem(`whsec_${Buffer.alloc(64, 1).toString('base64')}`)).toBeNull();
    expect(secretProblem(`whsec_${Buffer.alloc(23, 1).toString('base64')}`)).not.toBeNull();
    expect(secretProblem(`whsec_${Buffer.alloc(65, 1).toString('base64')}`)).not.toBeNull();
    expect(secretProblem('sk_abc')).not.toBeNull();
  });

  it('accepts https URLs, http only when allowed, never credentials', () => {
    expect(urlProblem('https://example.com/hook', false)).toBeNull();
    expect(urlProblem('http://example.com/hook', false)).not.toBeNull();
    expect(urlProblem('http://example.com/hook', true)).toBeNull();
    expect(urlProblem('ftp://example.com', true)).not.toBeNull();
    expect(urlProblem('https://user:pw@example.com', false)).not.toBeNull();
    expect(urlProblem('/relative', false)).not.toBeNull();
  });

  it('redacts header values whose names look like credentials', () => {
    expect(redactHeaders({ Authorization: 'Bearer x', 'X-Api-Key': 'k', 'X-Team': 'core' })).toEqual({
      Authorization: '[redacted]',
      'X-Api-Key': '[redacted]',
      'X-Team': 'core',
    });
  });
});
