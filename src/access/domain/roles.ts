export const ROLES = ['admin', 'operator', 'auditor', 'publisher'] as const;
export type Role = (typeof ROLES)[number];

export type Permission =
  | 'events:publish'
  | 'events:read'
  | 'subscriptions:read'
  | 'subscriptions:write'
  | 'subscriptions:operate'
  | 'subscriptions:secret'
  | 'deliveries:read'
  | 'deliveries:replay'
  | 'keys:read'
  | 'keys:manage'
  | 'audit:read';

const READ: Permission[] = ['events:read', 'subscriptions:read', 'deliveries:read', 'keys:read', 'audit:read'];
const OPERATE: Permission[] = ['subscriptions:operate', 'deliveries:replay'];

/**
 * SPEC §1. An admin manages the integration and may also operate it; it does not publish, so a
 * leaked admin key cannot inject events. Auditors read everything but secrets and change nothing.
 */
const PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set([...READ, ...OPERATE, 'subscriptions:write', 'subscriptions:secret', 'keys:manage']),
  operator: new Set(['events:read', 'subscriptions:read', 'deliveries:read', ...OPERATE]),
  auditor: new Set(READ),
  publisher: new Set(['events:publish']),
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return PERMISSIONS[role].has(permission);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
