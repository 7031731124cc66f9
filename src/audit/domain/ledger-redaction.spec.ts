import { describe, expect, it } from 'vitest';
import { withoutSecrets } from './ledger-redaction.js';

const headers = { Authorization: 'Bearer abc', 'X-Api-Key': 'k', 'X-Team': 'core' };
const redacted = { Authorization: '[redacted]', 'X-Api-Key': '[redacted]', 'X-Team': 'core' };

describe('withoutSecrets', () => {
  it('keeps a sealed secret by id only, and redacts credential-like headers of a configuration', () => {
    expect(withoutSecrets('SubscriptionCreated', { subscriptionId: 's', config: { url: 'u', headers }, secret: { id: 'sec_1', sealed: 'ciphertext' } })).toEqual({
      subscriptionId: 's',
      config: { url: 'u', headers: redacted },
      secret: { id: 'sec_1' },
    });
    expect(withoutSecrets('SubscriptionSecretRotated', { secret: { id: 'sec_2', sealed: 'c' }, previousSecretId: 'sec_1' })).toEqual({
      secret: { id: 'sec_2' },
      previousSecretId: 'sec_1',
    });
  });

  it('redacts headers on both sides of an update, and in attempt records', () => {
    expect(withoutSecrets('SubscriptionUpdated', { changes: { headers }, previous: { headers: {} } })).toEqual({ changes: { headers: redacted }, previous: { headers: {} } });
    expect(withoutSecrets('SubscriptionUpdated', { changes: { url: 'u' }, previous: { url: 'v' } })).toEqual({ changes: { url: 'u' }, previous: { url: 'v' } });
    expect(withoutSecrets('AttemptMade', { attempt: 1, request: { url: 'u', headers } })).toEqual({ attempt: 1, request: { url: 'u', headers: redacted } });
  });

  it('drops an API key hash', () => {
    expect(withoutSecrets('ApiKeyIssued', { keyId: 'key_1', name: 'n', role: 'admin', keyHash: 'h' })).toEqual({ keyId: 'key_1', name: 'n', role: 'admin' });
  });

  it("leaves a publisher's payload exactly as published, and malformed data as it is", () => {
    const published = { eventId: 'e', data: { headers: { Authorization: 'theirs' }, secret: { sealed: 'theirs' } } };
    expect(withoutSecrets('EventCreated', published)).toEqual(published);
    expect(withoutSecrets('SubscriptionCreated', null)).toBeNull();
    expect(withoutSecrets('SubscriptionCreated', {})).toEqual({ config: undefined, secret: undefined });
  });
});
