import { describe, expect, it } from 'vitest';
import { fold } from '../../shared/domain/decider.js';
import { DomainError } from '../../shared/domain/domain-error.js';
import { TenantEvent } from './access.events.js';
import { TenantCommand, tenantDecider } from './tenant.decider.js';

const create: TenantCommand = { type: 'CreateTenant', tenantId: 'ten_1', name: 'Acme', at: '2026-01-01T00:00:00.000Z' };
const created: TenantEvent = {
  type: 'TenantCreated',
  data: { tenantId: 'ten_1', name: 'Acme', createdAt: '2026-01-01T00:00:00.000Z' },
};

describe('tenant decider', () => {
  it('creates a tenant', () => {
    expect(tenantDecider.decide(create, fold(tenantDecider, []))).toEqual([created]);
  });
  it('ignores the same creation twice', () => {
    expect(tenantDecider.decide(create, fold(tenantDecider, [created]))).toEqual([]);
  });
  it('refuses a different tenant under an existing id', () => {
    expect(() => tenantDecider.decide({ ...create, name: 'Other' }, fold(tenantDecider, [created]))).toThrow(DomainError);
  });
});
