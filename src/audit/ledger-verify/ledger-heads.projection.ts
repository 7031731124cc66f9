import { Injectable } from '@nestjs/common';
import type { StoredEvent } from '../../event-store/event-store.port.js';
import { prepared, type SqlDatabase } from '../../event-store/read-model.database.js';
import { storedEventHash } from '../../ledger/hash-chain.js';
import type { StreamHead } from '../domain/chain-walk.js';
import { JoiningProjection } from '../joining-projection.js';

/**
 * Per stream, the revision and hash of its last event as it was when applied. The chain shows an
 * altered or removed event by the one after it; only this shows an altered last event.
 */
/** The key of streams that belong to no tenant (the root's, say). */
const NO_TENANT = '';

@Injectable()
export class LedgerHeadsProjection extends JoiningProjection {
  readonly name = 'ledger-heads';
  private readonly heads = new Map<string, { tenantId: string | null; revision: bigint; hash: string }>();

  migrate(db: SqlDatabase): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ledger_heads (
        tenant_id TEXT NOT NULL, stream TEXT NOT NULL, revision INTEGER NOT NULL, hash TEXT NOT NULL,
        PRIMARY KEY (tenant_id, stream)
      ) WITHOUT ROWID;
    `);
  }

  override beginBatch(): void {
    this.heads.clear();
  }

  /** Only a stream's last event in the batch makes its head. */
  apply(_db: SqlDatabase, stored: StoredEvent): void {
    const tenantId = stored.metadata.tenantId;
    this.heads.set(stored.streamName, {
      tenantId: typeof tenantId === 'string' ? tenantId : null,
      revision: stored.revision,
      hash: storedEventHash(stored),
    });
  }

  override endBatch(db: SqlDatabase): void {
    const upsert = prepared(
      db,
      `INSERT INTO ledger_heads (tenant_id, stream, revision, hash) VALUES (?, ?, ?, ?)
       ON CONFLICT (tenant_id, stream) DO UPDATE SET revision = excluded.revision, hash = excluded.hash
       WHERE excluded.revision > ledger_heads.revision`,
    );
    // A stream's tenant never changes: one B-tree keyed by (tenant, stream) is the table and the tenant's index.
    for (const [stream, head] of this.heads) upsert.run(head.tenantId ?? NO_TENANT, stream, head.revision, head.hash);
    this.heads.clear();
  }

  /** The tenant's heads, by stream name: one small entry per stream. */
  headsOf(tenantId: string): StreamHead[] {
    const rows = prepared(this.db, 'SELECT stream, revision, hash FROM ledger_heads WHERE tenant_id = ? ORDER BY stream').all(tenantId) as Array<{
      stream: string;
      revision: number;
      hash: string;
    }>;
    return rows.map((row) => ({ stream: row.stream, revision: BigInt(row.revision), hash: row.hash }));
  }
}
