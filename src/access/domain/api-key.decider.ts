import { assertNever, Decider } from '../../shared/domain/decider.js';
import { conflict, notFound } from '../../shared/domain/domain-error.js';
import { ApiKeyEvent } from './access.events.js';
import { Role } from './roles.js';

export type ApiKeyState =
  | { status: 'absent' }
  | { status: 'active' | 'revoked'; keyId: string; tenantId: string; name: string; role: Role; keyHash: string };

export type ApiKeyCommand =
  | { type: 'IssueApiKey'; keyId: string; tenantId: string; name: string; role: Role; keyHash: string; at: string }
  | { type: 'RevokeApiKey'; keyId: string; tenantId: string; at: string };

export const apiKeyDecider: Decider<ApiKeyState, ApiKeyCommand, ApiKeyEvent> = {
  initialState: () => ({ status: 'absent' }),

  evolve(state, event) {
    switch (event.type) {
      case 'ApiKeyIssued': {
        const { keyId, tenantId, name, role, keyHash } = event.data;
        return { status: 'active', keyId, tenantId, name, role, keyHash };
      }
      case 'ApiKeyRevoked':
        return state.status === 'absent' ? state : { ...state, status: 'revoked' };
      default:
        return assertNever(event);
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'IssueApiKey': {
        if (state.status !== 'absent') {
          if (state.keyHash === command.keyHash) return [];
          throw conflict('API_KEY.ALREADY_EXISTS', `API key ${command.keyId} already exists`);
        }
        const { keyId, tenantId, name, role, keyHash } = command;
        return [{ type: 'ApiKeyIssued', data: { keyId, tenantId, name, role, keyHash, issuedAt: command.at } }];
      }
      case 'RevokeApiKey':
        // Another tenant's key is answered exactly like a key that does not exist.
        if (state.status === 'absent' || state.tenantId !== command.tenantId) {
          throw notFound('API_KEY.NOT_FOUND', `API key ${command.keyId} not found`);
        }
        if (state.status === 'revoked') return [];
        return [
          { type: 'ApiKeyRevoked', data: { keyId: command.keyId, tenantId: command.tenantId, revokedAt: command.at } },
        ];
      default:
        return assertNever(command);
    }
  },
};
