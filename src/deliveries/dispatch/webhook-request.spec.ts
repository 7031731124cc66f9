import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SubscriptionConfig } from '../../subscriptions/domain/subscription.events.js';
import { buildWebhookRequest, recordedRequest, webhookBody, webhookBodyOf } from './webhook-request.js';

const event = (data: unknown, over: Partial<{ id: string; type: string; createdAt: string }> = {}) => ({
  id: over.id ?? 'evt_01',
  type: over.type ?? 'order.created',
  createdAt: over.createdAt ?? '2026-11-23T18:00:00.000Z',
  dataJson: JSON.stringify(data),
});

describe('webhookBody', () => {
  it('writes the envelope exactly as JSON.stringify of { id, type, timestamp, data } would, for any data and strings', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), fc.string(), fc.string(), (data, id, type, createdAt) => {
        const body = webhookBody(event(data, { id, type, createdAt }), 'envelope');
        expect(body.text).toBe(JSON.stringify({ id, type, timestamp: createdAt, data }));
        expect(body.bytes).toBe(Buffer.byteLength(body.text));
        expect(body.sha256).toBe(createHash('sha256').update(body.text).digest('hex'));
      }),
    );
  });

  it('sends exactly the published data when the payload is raw', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (data) => {
        expect(webhookBody(event(data), 'raw').text).toBe(JSON.stringify(data));
      }),
    );
  });

  it('counts bytes, not characters', () => {
    const body = webhookBody(event({ name: 'café ☕' }), 'raw');
    expect(body.text.length).toBe(17);
    expect(body.bytes).toBe(20);
  });
});

describe('webhookBodyOf', () => {
  it('makes each form once per event object', () => {
    const e = event({ n: 1 });
    expect(webhookBodyOf(e, 'envelope')).toBe(webhookBodyOf(e, 'envelope'));
    expect(webhookBodyOf(e, 'raw')).toBe(webhookBodyOf(e, 'raw'));
    expect(webhookBodyOf(e, 'raw').text).toBe('{"n":1}');
    expect(webhookBodyOf({ ...e }, 'raw')).not.toBe(webhookBodyOf(e, 'raw'));
  });
});

describe('buildWebhookRequest and recordedRequest', () => {
  const secret = (n: number) => ({ id: `sec_${n}`, secret: `whsec_${Buffer.from(`key-${n}`).toString('base64')}` });
  const config = (signature: SubscriptionConfig['signature']): SubscriptionConfig => ({
    url: 'https://example.test/hook',
    eventTypes: ['*'],
    description: null,
    headers: { 'x-team': 'billing', authorization: 'Bearer s3cret' },
    filter: null,
    retryPolicy: { schedule: ['0s'], retryAllFailures: false },
    timeoutMs: 1_000,
    maxConcurrency: 1,
    rateLimitPerSecond: null,
    ordering: 'none',
    signature,
    payload: 'envelope',
  });
  const e = event({ n: 1 });

  it('sends the custom headers as they are, records them redacted, and records the timestamp and signature it went out with', () => {
    const request = buildWebhookRequest(e, webhookBodyOf(e, 'envelope'), config({ scheme: 'standard' }), [secret(1), secret(2)], 'hookledger/test');
    expect(request.headers).toEqual({ 'x-team': 'billing', authorization: 'Bearer s3cret', 'content-type': 'application/json', 'user-agent': 'hookledger/test', 'webhook-id': 'evt_01' });
    expect(request.signing).toEqual({ scheme: 'standard', msgId: 'evt_01', secrets: [secret(1).secret, secret(2).secret] });
    expect(recordedRequest(request, { timestampSec: 1_700_000_000, signature: 'v1,a v1,b' })).toEqual({
      url: 'https://example.test/hook',
      headers: {
        'x-team': 'billing',
        authorization: '[redacted]',
        'content-type': 'application/json',
        'user-agent': 'hookledger/test',
        'webhook-id': 'evt_01',
        'webhook-timestamp': '1700000000',
        'webhook-signature': 'v1,a v1,b',
      },
      signature: 'v1,a v1,b',
      secretIds: ['sec_1', 'sec_2'],
      bodyBytes: webhookBodyOf(e, 'envelope').bytes,
      bodySha256: webhookBodyOf(e, 'envelope').sha256,
    });
  });

  it('signs the hex scheme with the current secret alone, recorded under the header it names', () => {
    const request = buildWebhookRequest(e, webhookBodyOf(e, 'envelope'), config({ scheme: 'hmac-sha256-hex', header: 'x-signature' }), [secret(1), secret(2)], 'ua');
    expect(request.signing).toEqual({ scheme: 'hmac-sha256-hex', header: 'x-signature', secret: secret(1).secret });
    const recorded = recordedRequest(request, { timestampSec: 1, signature: 'ab' });
    expect(recorded.headers['x-signature']).toBe('ab');
    expect(recorded.headers['webhook-signature']).toBeUndefined();
    expect(recorded.secretIds).toEqual(['sec_1']);
  });

  it('refuses, where the request is made, a secret that could not sign it', () => {
    const bad = { id: 'sec_x', secret: 'not-a-whsec-secret' };
    expect(() => buildWebhookRequest(e, webhookBodyOf(e, 'envelope'), config({ scheme: 'standard' }), [secret(1), bad], 'ua')).toThrow(/whsec_/);
  });
});
