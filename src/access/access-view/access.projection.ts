import { Injectable } from '@nestjs/common';
import type { StoredEvent } from '../../event-store/event-store.port.js';
import { type SqlDatabase, prepared } from '../../event-store/read-model.database.js';
import { ReadModelProjection } from '../../projections/read-model-projection.js';
import type { ApiKeyEvent, TenantEvent } from '../domain/access.events.js';
import type { Role } from '../domain/roles.js';

export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  role: Role;
  key_hash: string;
  created_at: string;
  revoked_at: string | null;
}

export interface TenantRow {
  id: string;
  name: string;
  created_at: string;
}

/** Tenants and API keys, for authentication on every request and for the key list. */
@Injectable()
export class AccessProjection extends ReadModelProjection {
  readonly name = 'access';
  /** Key rows by id, only of keys that exist (so unknown ids presented cannot grow it). */
  private readonly keys = new Map<string, ApiKeyRow>();

  migrate(db: SqlDatabase): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS api_keys (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
        key_hash TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT
      );
      CREATE INDEX IF NOT EXISTS api_keys_by_tenant ON api_keys (tenant_id, id);
    `);
  }

  apply(db: SqlDatabase, stored: StoredEvent): void {
    const event = { type: stored.type, data: stored.data } as TenantEvent | ApiKeyEvent;
    switch (event.type) {
      case 'TenantCreated':
        prepared(db, 'INSERT OR IGNORE INTO tenants (id, name, created_at) VALUES (?, ?, ?)').run(
          event.data.tenantId,
          event.data.name,
          event.data.createdAt,
        );
        return;
      case 'ApiKeyIssued':
        this.keys.delete(event.data.keyId);
        prepared(db, 'INSERT OR IGNORE INTO api_keys (id, tenant_id, name, role, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
          event.data.keyId,
          event.data.tenantId,
          event.data.name,
          event.data.role,
          event.data.keyHash,
          event.data.issuedAt,
        );
        return;
      case 'ApiKeyRevoked':
        this.keys.delete(event.data.keyId);
        prepared(db, 'UPDATE api_keys SET revoked_at = ? WHERE id = ?').run(event.data.revokedAt, event.data.keyId);
        return;
      default:
        // Events of other capabilities pass through untouched.
        return;
    }
  }

  /** Every authenticated request looks its key up: keys that exist stay in memory until an event changes them. */
  findKey(keyId: string): ApiKeyRow | undefined {
    const cached = this.keys.get(keyId);
    if (cached) return cached;
    const row = prepared(this.db, 'SELECT * FROM api_keys WHERE id = ?').get(keyId) as ApiKeyRow | undefined;
    if (row) this.keys.set(keyId, row);
    return row;
  }

  listKeys(tenantId: string): ApiKeyRow[] {
    return prepared(this.db, 'SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY id').all(tenantId) as ApiKeyRow[];
  }

  findTenant(tenantId: string): TenantRow | undefined {
    return prepared(this.db, 'SELECT * FROM tenants WHERE id = ?').get(tenantId) as TenantRow | undefined;
  }

  listTenants(): TenantRow[] {
    return prepared(this.db, 'SELECT * FROM tenants ORDER BY id').all() as TenantRow[];
  }
}
