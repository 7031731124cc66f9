import { Injectable } from '@nestjs/common';
import type { StoredEvent } from '../../event-store/event-store.port.js';
import { prepared, type SqlDatabase } from '../../event-store/read-model.database.js';
import { JoiningProjection } from '../joining-projection.js';
import { type AuditEntry, auditEntry } from './audit-entry.js';

export interface AuditFilter {
  /** `root` or an API key id. */
  actor?: string;
  /** Inclusive, ISO 8601 UTC. */
  from?: string;
  /** Exclusive, ISO 8601 UTC. */
  to?: string;
  /** Exclusive: entries strictly before this ledger position. */
  before?: bigint;
}

/** Every command a key or the root key issued, per tenant, by ledger position (SPEC §3 Audit). */
@Injectable()
export class AuditTrailProjection extends JoiningProjection {
  readonly name = 'audit-trail';

  migrate(db: SqlDatabase): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS audit_entries (
        position INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, actor_id TEXT NOT NULL, occurred_at TEXT NOT NULL, entry TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS audit_entries_by_tenant ON audit_entries (tenant_id, position);
      CREATE INDEX IF NOT EXISTS audit_entries_by_actor ON audit_entries (tenant_id, actor_id, position);
    `);
  }

  apply(db: SqlDatabase, stored: StoredEvent): void {
    const filed = auditEntry(stored);
    if (!filed) return;
    prepared(db, 'INSERT OR IGNORE INTO audit_entries (position, tenant_id, actor_id, occurred_at, entry) VALUES (?, ?, ?, ?, ?)').run(
      stored.position,
      filed.tenantId,
      filed.actorId,
      filed.entry.at,
      JSON.stringify(filed.entry),
    );
  }

  /** Newest first. Paging by position: entries appended meanwhile land before the first page, never inside a later one. */
  list(tenantId: string, filter: AuditFilter, limit: number): AuditEntry[] {
    const conditions = ['tenant_id = ?'];
    const params: unknown[] = [tenantId];
    const add = (condition: string, value: unknown) => {
      if (value === undefined) return;
      conditions.push(condition);
      params.push(value);
    };
    add('actor_id = ?', filter.actor);
    add('occurred_at >= ?', filter.from);
    add('occurred_at < ?', filter.to);
    add('position < ?', filter.before);
    const sql = `SELECT entry FROM audit_entries WHERE ${conditions.join(' AND ')} ORDER BY position DESC LIMIT ?`;
    const rows = prepared(this.db, sql).all(...params, limit) as Array<{ entry: string }>;
    return rows.map((row) => JSON.parse(row.entry) as AuditEntry);
  }
}
