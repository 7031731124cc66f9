import { describe, it } from 'vitest';
import { specFor } from '../../../test/support/given-when-then.js';
import { ApiKeyEvent } from './access.events.js';
import { ApiKeyCommand, apiKeyDecider } from './api-key.decider.js';

const issue: Extract<ApiKeyCommand, { type: 'IssueApiKey' }> = {
  type: 'IssueApiKey',
  keyId: 'key_1',
  tenantId: 'ten_1',
  name: 'ci',
  role: 'publisher',
  keyHash: 'h1',
  at: '2026-01-01T00:00:00.000Z',
};
const issued: ApiKeyEvent = {
  type: 'ApiKeyIssued',
  data: { keyId: 'key_1', tenantId: 'ten_1', name: 'ci', role: 'publisher', keyHash: 'h1', issuedAt: issue.at },
};
const revoke: ApiKeyCommand = { type: 'RevokeApiKey', keyId: 'key_1', tenantId: 'ten_1', at: '2026-01-02T00:00:00.000Z' };
const revoked: ApiKeyEvent = {
  type: 'ApiKeyRevoked',
  data: { keyId: 'key_1', tenantId: 'ten_1', revokedAt: '2026-01-02T00:00:00.000Z' },
};

const given = specFor(apiKeyDecider);

describe('api key decider', () => {
  it('issues a new key', () => given([]).when(issue).then([issued]));
  it('ignores the same issue twice', () => given([issued]).when(issue).then([]));
  it('refuses another key under an existing id', () =>
    given([issued]).when({ ...issue, keyHash: 'other' }).thenThrows('API_KEY.ALREADY_EXISTS'));
  it('revokes an active key', () => given([issued]).when(revoke).then([revoked]));
  it('ignores revoking twice', () => given([issued, revoked]).when(revoke).then([]));
  it('answers not found for a key that does not exist', () => given([]).when(revoke).thenThrows('API_KEY.NOT_FOUND'));
  it("answers not found for another tenant's key", () =>
    given([issued]).when({ ...revoke, tenantId: 'ten_2' }).thenThrows('API_KEY.NOT_FOUND'));
});
