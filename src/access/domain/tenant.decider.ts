import { assertNever, Decider } from '../../shared/domain/decider.js';
import { conflict } from '../../shared/domain/domain-error.js';
import { TenantEvent } from './access.events.js';

export type TenantState = { status: 'absent' } | { status: 'active'; tenantId: string; name: string };

export type TenantCommand = { type: 'CreateTenant'; tenantId: string; name: string; at: string };

export const tenantDecider: Decider<TenantState, TenantCommand, TenantEvent> = {
  initialState: () => ({ status: 'absent' }),

  evolve(state, event) {
    switch (event.type) {
      case 'TenantCreated':
        return { status: 'active', tenantId: event.data.tenantId, name: event.data.name };
      default:
        return assertNever(event.type);
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'CreateTenant':
        if (state.status === 'active') {
          if (state.name === command.name) return [];
          throw conflict('TENANT.ALREADY_EXISTS', `Tenant ${command.tenantId} already exists`);
        }
        return [
          { type: 'TenantCreated', data: { tenantId: command.tenantId, name: command.name, createdAt: command.at } },
        ];
      default:
        return assertNever(command.type);
    }
  },
};
