import { SetMetadata } from '@nestjs/common';
import type { Permission } from '../domain/roles.js';

export type AccessRule = { kind: 'public' } | { kind: 'root' } | { kind: 'permission'; permission: Permission };

export const ACCESS_RULE = 'hookledger:access';

/** No key needed (health, metrics, docs). */
export const Public = () => SetMetadata(ACCESS_RULE, { kind: 'public' } satisfies AccessRule);
/** The root key only. */
export const RootOnly = () => SetMetadata(ACCESS_RULE, { kind: 'root' } satisfies AccessRule);
/** A tenant key whose role has the permission, or the root key naming a tenant. */
export const Requires = (permission: Permission) =>
  SetMetadata(ACCESS_RULE, { kind: 'permission', permission } satisfies AccessRule);
