import { describe, expect, it } from 'vitest';
import { SUBSCRIPTION_DEFAULTS } from '../../subscriptions/domain/subscription-rules.js';
import { filterMismatch, route, typeMatches } from './routing.js';

describe('event type patterns', () => {
  it.each([
    ['call.completed', 'call.completed', true],
    ['call.completed', 'call.started', false],
    ['call.*', 'call.completed', true],
    ['call.*', 'call.x.y', true],
    ['call.*', 'callback.done', false],
    ['call.*', 'call', false],
    ['*', 'anything.at.all', true],
    ['*', 'hookledger.delivery.failed', false],
    ['*', 'webhook.test', false],
    ['hookledger.*', 'hookledger.delivery.failed', true],
    ['hookledger.delivery.failed', 'hookledger.delivery.failed', true],
    ['webhook.test', 'webhook.test', true],
  ])('%s takes %s: %s', (pattern, type, expected) => expect(typeMatches(pattern, type)).toBe(expected));
});

describe('data filters', () => {
  const data = { list_id: 'B', customer: { tier: 'gold', n: 3 }, flag: false };
  it('accepts a value, one of a list, nested paths', () => {
    expect(filterMismatch({ list_id: ['A', 'B'] }, data)).toBeNull();
    expect(filterMismatch({ 'customer.tier': 'gold', 'customer.n': 3, flag: false }, data)).toBeNull();
    expect(filterMismatch(null, data)).toBeNull();
  });
  it('names the first path that does not match', () => {
    expect(filterMismatch({ list_id: ['A'] }, data)).toBe('list_id');
    expect(filterMismatch({ 'customer.missing': 1 }, data)).toBe('customer.missing');
    expect(filterMismatch({ 'customer.n': '3' }, data)).toBe('customer.n');
    expect(filterMismatch({ 'list_id.length': 1 }, data)).toBe('list_id.length');
    expect(filterMismatch({ constructor: 'x' }, {})).toBe('constructor');
  });
});

describe('route', () => {
  const config = { ...SUBSCRIPTION_DEFAULTS, url: 'https://x.example', eventTypes: ['call.*'], filter: { list_id: 'A' } };
  it('matches active and paused subscriptions', () => {
    expect(route({ config, status: 'active' }, { type: 'call.done', data: { list_id: 'A' } })).toEqual({ matched: true });
    expect(route({ config, status: 'paused' }, { type: 'call.done', data: { list_id: 'A' } })).toEqual({ matched: true });
  });
  it('says why not', () => {
    expect(route({ config, status: 'active' }, { type: 'sms.sent', data: {} })).toMatchObject({ matched: false, reason: 'event_type' });
    expect(route({ config, status: 'active' }, { type: 'call.done', data: { list_id: 'B' } })).toMatchObject({ matched: false, reason: 'filter' });
    expect(route({ config, status: 'disabled' }, { type: 'call.done', data: { list_id: 'A' } })).toMatchObject({ matched: false, reason: 'disabled' });
    expect(route({ config, status: 'deleted' }, { type: 'call.done', data: { list_id: 'A' } })).toMatchObject({ matched: false, reason: 'deleted' });
  });
});
