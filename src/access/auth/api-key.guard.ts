import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import { forbidden, unauthenticated } from '../../shared/domain/domain-error.js';
import { hasPrefix } from '../../shared/domain/ids.js';
import type { HookledgerRequest, Principal } from '../../shared/http/request-context.js';
import { AccessProjection } from '../access-view/access.projection.js';
import { roleAllows } from '../domain/roles.js';
import { ACCESS_RULE, AccessRule } from './access.decorators.js';
import { hashKey, keyIdOf, keyMatches } from './key-material.js';
import type { RootKey } from './root-key.js';

export const ROOT_KEY = Symbol('ROOT_KEY');

/**
 * Every route declares who may call it (`@Public`, `@RootOnly`, `@Requires`); a route that
 * declares nothing is refused, so a forgotten decorator cannot open a hole.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessProjection,
    @Inject(ROOT_KEY) private readonly rootKey: RootKey,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!rule) throw forbidden('AUTH.NO_RULE', 'This route declares no access rule');
    if (rule.kind === 'public') return true;

    const req = context.switchToHttp().getRequest<HookledgerRequest>();
    const principal = this.authenticate(req.header('authorization'));
    req.context.principal = principal;

    if (principal.kind === 'root') {
      if (rule.kind === 'permission') {
        const named = req.header('hookledger-tenant');
        if (named !== undefined) {
          if (!hasPrefix(named, 'ten')) throw forbidden('AUTH.TENANT_INVALID', 'Hookledger-Tenant must be a tenant id (ten_…)');
          req.context.namedTenant = named;
        }
      }
      return true;
    }
    if (rule.kind === 'root') throw forbidden('AUTH.ROOT_REQUIRED', 'Only the root key may do this');
    if (!roleAllows(principal.role, rule.permission)) {
      throw forbidden('AUTH.PERMISSION_DENIED', `The ${principal.role} role may not do this (needs ${rule.permission})`);
    }
    return true;
  }

  private authenticate(header: string | undefined): Principal {
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw unauthenticated('AUTH.MISSING_KEY', 'Send an API key: Authorization: Bearer <key>');
    const presented = match[1]!;
    const keyId = keyIdOf(presented);
    if (keyId === null) {
      if (this.isRoot(presented)) return { kind: 'root' };
      throw unauthenticated('AUTH.INVALID_KEY', 'The API key is not valid');
    }
    const row = this.access.findKey(keyId);
    if (!row || row.revoked_at !== null || !keyMatches(presented, row.key_hash)) {
      throw unauthenticated('AUTH.INVALID_KEY', 'The API key is not valid');
    }
    return { kind: 'api_key', keyId: row.id, name: row.name, role: row.role, tenantId: row.tenant_id };
  }

  private isRoot(presented: string): boolean {
    const a = Buffer.from(hashKey(presented), 'hex');
    const b = Buffer.from(this.rootKey.hash, 'hex');
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
