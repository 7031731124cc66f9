import { Injectable } from '@nestjs/common';
import type { StoredEvent } from '../../event-store/event-store.port.js';
import { prepared, type SqlDatabase } from '../../event-store/read-model.database.js';
import { JoiningProjection } from '../joining-projection.js';
import { type AuditEntry, auditEntry, auditFiling } from './audit-entry.js';

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

/**
 * Every command a key or the root key issued, per tenant, by ledger position (SPEC §3 Audit). The
 * view is an index into the ledger: where each command is filed (tenant, actor, time) and its
 * position; the entry itself is made from the ledger event when it is read. A publish is a command,
 * and copying each one into the view, a second time beside the events view, cost about as much as
 * any other view (README, Performance).
 */
@Injectable()
export class AuditTrailProjection extends JoiningProjection {
  readonly name = 'audit-trail';

  migrate(db: SqlDatabase): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS audit_entries (
        tenant_id TEXT NOT NULL, position INTEGER NOT NULL, actor_id TEXT NOT NULL, occurred_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, position)
      ) WITHOUT ROWID;
      -- Keyed by tenant and position, the table is also the tenant's index: two B-trees per entry, not
      -- three. The time is in the actor's index too, so SQLite takes it for an actor and a window alike.
      CREATE INDEX IF NOT EXISTS audit_entries_by_actor ON audit_entries (tenant_id, actor_id, position, occurred_at);
    `);
  }

  apply(db: SqlDatabase, stored: StoredEvent): void {
    const filed = auditFiling(stored);
    if (!filed) return;
    prepared(db, 'INSERT OR IGNORE INTO audit_entries (tenant_id, position, actor_id, occurred_at) VALUES (?, ?, ?, ?)').run(
      filed.tenantId,
      stored.position,
      filed.actorId,
      filed.at,
    );
  }

  /**
   * Newest first, up to `limit`, and whether more follow. Paging by position: entries appended
   * meanwhile land before the first page, never inside a later one.
   */
  async list(tenantId: string, filter: AuditFilter, limit: number): Promise<{ entries: AuditEntry[]; more: boolean }> {
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
    const sql = `SELECT position FROM audit_entries WHERE ${conditions.join(' AND ')} ORDER BY position DESC LIMIT ?`;
    const rows = prepared(this.db, sql).all(...params, limit + 1) as Array<{ position: number }>;
    // The row past the page only says that more follow: its entry is not read.
    const entries = await Promise.all(rows.slice(0, limit).map((row) => this.entryAt(BigInt(row.position))));
    return { entries, more: rows.length > limit };
  }

  private async entryAt(position: bigint): Promise<AuditEntry> {
    const stored = await this.store.readAt(position);
    const entry = stored ? auditEntry(stored) : null;
    // The view filed a command the ledger no longer holds there: a broken ledger, which /v1/ledger/verify names.
    if (!entry) throw new Error(`the audit trail files a command at ledger position ${position} that the ledger does not hold`);
    return entry;
  }
}
