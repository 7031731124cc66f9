import type { DomainEvent } from '../../shared/domain/decider.js';
import type { Role } from './roles.js';

export type TenantCreated = DomainEvent<'TenantCreated', { tenantId: string; name: string; createdAt: string }>;
export type TenantEvent = TenantCreated;

export type ApiKeyIssued = DomainEvent<
  'ApiKeyIssued',
  {
    keyId: string;
    tenantId: string;
    name: string;
    role: Role;
    /** sha256 of the whole key; the key itself is shown once and never stored. */
    keyHash: string;
    issuedAt: string;
  }
>;
export type ApiKeyRevoked = DomainEvent<'ApiKeyRevoked', { keyId: string; tenantId: string; revokedAt: string }>;
export type ApiKeyEvent = ApiKeyIssued | ApiKeyRevoked;

export const tenantStream = (tenantId: string) => `tenant-${tenantId}`;
export const apiKeyStream = (keyId: string) => `apikey-${keyId}`;
