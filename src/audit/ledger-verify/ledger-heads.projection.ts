import { Injectable } from '@nestjs/common';
import { isDeliveryStream } from '../../deliveries/domain/delivery.events.js';
import type { StoredEvent } from '../../event-store/event-store.port.js';
import { prepared, type SqlDatabase } from '../../event-store/read-model.database.js';
import { isEventStream } from '../../events/domain/event.events.js';
import { type HeadRow, headsFrom, type StreamHead, storedEventHash } from '../../ledger/hash-chain.js';
import { JoiningProjection } from '../joining-projection.js';

/** The key of streams that belong to no tenant (the root's, say). */
const NO_TENANT = '';

/**
 * Per stream, the revision and hash of its last event as it was when applied. The chain shows an
 * altered or removed event by the one after it; only this shows an altered last event.
 *
 * The streams of published events and of deliveries, two for each delivery and nearly all of the
 * ledger's streams, are not kept here: the events and deliveries views hold each one's revision
 * and hash in the row they write anyway (`streamHeads`), in the same transaction.
 */
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
    if (isEventStream(stored.streamName) || isDeliveryStream(stored.streamName)) return;
    const tenantId = stored.metadata.tenantId;
    this.heads.set(stored.streamName, {
      tenantId: typeof tenantId === 'string' ? tenantId : null,
      revision: stored.revision,
      hash: storedEventHash(stored),
    });
  }

  override endBatch(db: SqlDatabase): void {
    if (this.heads.size === 0) return;
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

  /** The tenant's heads of the streams kept here, by stream name. */
  headsOf(tenantId: string): StreamHead[] {
    const rows = prepared(this.db, 'SELECT stream AS key, revision, hash FROM ledger_heads WHERE tenant_id = ? ORDER BY stream').all(tenantId);
    return headsFrom(rows as HeadRow[], (stream) => stream);
  }
}
