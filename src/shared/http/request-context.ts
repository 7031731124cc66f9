import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Role } from '../../access/domain/roles.js';
import { forbidden } from '../domain/domain-error.js';
import type { Actor, CommandContext } from '../../ledger/ledger-context.js';

export type Principal =
  | { kind: 'root' }
  | { kind: 'api_key'; keyId: string; name: string; role: Role; tenantId: string };

/** What every request carries once authenticated; built by the request-id middleware and the auth guard. */
export interface RequestContext {
  requestId: string;
  principal?: Principal;
  /** A tenant the root key names with the `Hookledger-Tenant` header. */
  namedTenant?: string;
}

export type HookledgerRequest = Request & { context: RequestContext };

export const Ctx = createParamDecorator(
  (_: unknown, host: ExecutionContext): RequestContext => host.switchToHttp().getRequest<HookledgerRequest>().context,
);

export function actorOf(principal: Principal | undefined): Actor {
  if (!principal) return { type: 'system' };
  if (principal.kind === 'root') return { type: 'root' };
  return { type: 'api_key', id: principal.keyId, name: principal.name, role: principal.role, tenantId: principal.tenantId };
}

/**
 * The tenant a request acts in: the key's own tenant, or for the root key the tenant it names
 * (the `Hookledger-Tenant` header, or a `tenantId` the route takes). The root key never acts in a
 * tenant by default.
 */
export function tenantOf(context: RequestContext, named?: string): string {
  const principal = context.principal;
  if (principal?.kind === 'api_key') return principal.tenantId;
  const tenant = named ?? context.namedTenant;
  if (!tenant) {
    throw forbidden(
      'AUTH.TENANT_REQUIRED',
      'The root key acts in a tenant only when one is named: send the Hookledger-Tenant header (or tenantId where the route takes it)',
    );
  }
  return tenant;
}

export function commandContext(context: RequestContext, now: Date, tenantId?: string): CommandContext {
  const command: CommandContext = { actor: actorOf(context.principal), correlationId: context.requestId, now };
  if (tenantId !== undefined) command.tenantId = tenantId;
  return command;
}
