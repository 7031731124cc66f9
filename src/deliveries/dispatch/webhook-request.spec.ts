import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { webhookBody, webhookBodyOf } from './webhook-request.js';

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
