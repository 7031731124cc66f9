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
@Injectable()
export class LedgerHeadsProjection extends JoiningProjection {
  readonly name = 'ledger-heads';

  migrate(db: SqlDatabase): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ledger_heads (
        stream TEXT PRIMARY KEY, tenant_id TEXT, revision INTEGER NOT NULL, hash TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS ledger_heads_by_tenant ON ledger_heads (tenant_id, stream);
    `);
  }

  apply(db: SqlDatabase, stored: StoredEvent): void {
    const tenantId = stored.metadata.tenantId;
    prepared(
      db,
      `INSERT INTO ledger_heads (stream, tenant_id, revision, hash) VALUES (?, ?, ?, ?)
       ON CONFLICT (stream) DO UPDATE SET tenant_id = excluded.tenant_id, revision = excluded.revision, hash = excluded.hash
       WHERE excluded.revision > ledger_heads.revision`,
    ).run(stored.streamName, typeof tenantId === 'string' ? tenantId : null, stored.revision, storedEventHash(stored));
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
