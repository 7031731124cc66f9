import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signatureFor, signHmacSha256Hex, signStandardWebhook } from './signer.js';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const msgId = 'evt_01HZY3K5M7N9P1Q3R5S7T9V1W3';
const body = JSON.stringify({ id: msgId, type: 'call.completed', timestamp: '2024-05-01T10:00:00Z', data: { n: 1, text: 'é ✓' } });
const now = () => Math.floor(Date.now() / 1000);

function headers(signature: string, timestampSec: number) {
  return { 'webhook-id': msgId, 'webhook-timestamp': String(timestampSec), 'webhook-signature': signature };
}

describe('signStandardWebhook', () => {
  it('is verified by the standardwebhooks library', () => {
    const secret = newSecret();
    const timestamp = now();
    const signature = signStandardWebhook(msgId, timestamp, body, [secret]);

    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers(signature, timestamp))).toEqual(JSON.parse(body));
  });

  it('signs once per secret, in order, each verifiable on its own during a rotation', () => {
    const [oldSecret, newer] = [newSecret(), newSecret()];
    const timestamp = now();
    const signature = signStandardWebhook(msgId, timestamp, body, [oldSecret, newer]);
    const parts = signature.split(' ');

    expect(parts).toHaveLength(2);
    for (const [secret, part] of [
      [oldSecret, parts[0]!],
      [newer, parts[1]!],
    ] as const) {
      expect(() => new Webhook(secret).verify(body, headers(part, timestamp))).not.toThrow();
      expect(() => new Webhook(secret).verify(body, headers(signature, timestamp))).not.toThrow();
    }
    expect(() => new Webhook(newSecret()).verify(body, headers(signature, timestamp))).toThrow();
  });

  it('does not verify when the body, id or timestamp differ from what was signed', () => {
    const secret = newSecret();
    const timestamp = now();
    const signature = signStandardWebhook(msgId, timestamp, body, [secret]);
    const webhook = new Webhook(secret);

    expect(() => webhook.verify(`${body} `, headers(signature, timestamp))).toThrow();
    expect(() => webhook.verify(body, { ...headers(signature, timestamp), 'webhook-id': 'evt_other' })).toThrow();
    expect(() => webhook.verify(body, headers(signature, timestamp - 1))).toThrow();
  });

  it('refuses a secret without the whsec_ prefix without echoing it', () => {
    const raw = randomBytes(32).toString('base64');
    expect(() => signStandardWebhook(msgId, now(), body, [raw])).toThrow(/whsec_/);
    expect(() => signStandardWebhook(msgId, now(), body, [raw])).not.toThrow(raw);
  });
});

describe('signHmacSha256Hex', () => {
  it('is the hex HMAC-SHA256 of the raw body keyed with the decoded secret bytes', () => {
    const key = randomBytes(24);
    const expected = createHmac('sha256', key).update(Buffer.from(body, 'utf8')).digest('hex');

    expect(signHmacSha256Hex(body, `whsec_${key.toString('base64')}`)).toBe(expected);
  });

  it('matches a known vector', () => {
    // RFC 4231 test case 2: key "Jefe".
    expect(signHmacSha256Hex('what do ya want for nothing?', `whsec_${Buffer.from('Jefe').toString('base64')}`)).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});

describe('signatureFor', () => {
  it('names the header each scheme signs in, and signs as the scheme does', () => {
    const secret = newSecret();
    const timestamp = now();
    expect(signatureFor({ scheme: 'standard', msgId, secrets: [secret] }, timestamp, body)).toEqual({
      header: 'webhook-signature',
      value: signStandardWebhook(msgId, timestamp, body, [secret]),
    });
    expect(signatureFor({ scheme: 'hmac-sha256-hex', header: 'x-signature', secret }, timestamp, body)).toEqual({
      header: 'x-signature',
      value: signHmacSha256Hex(body, secret),
    });
  });

  it('keys each signature with its own secret, however often each was used before', () => {
    const [a, b] = [newSecret(), newSecret()];
    const timestamp = now();
    for (const secret of [a, b, a, b]) {
      const { value } = signatureFor({ scheme: 'standard', msgId, secrets: [secret] }, timestamp, body);
      expect(() => new Webhook(secret).verify(body, headers(value, timestamp))).not.toThrow();
      expect(() => new Webhook(secret === a ? b : a).verify(body, headers(value, timestamp))).toThrow();
    }
  });
});
