import type { StoredEvent } from '../event-store/event-store.port.js';
import type { SqlDatabase } from '../event-store/read-model.database.js';

/**
 * A read model fed from the ledger. `apply` runs inside the runner's transaction together with the
 * checkpoint, so an event is applied exactly once per read-model file; it must be deterministic
 * (no clock, no randomness) so a rebuild gives the same rows.
 */
export interface Projection {
  readonly name: string;
  /** Creates the projection's tables; runs at every start, so it must be idempotent. */
  migrate(db: SqlDatabase): void;
  apply(db: SqlDatabase, event: StoredEvent): void;
  /**
   * Optional, for a projection that gathers a batch's changes and writes them once (a row changed by
   * several events of the batch written once): `beginBatch` before the batch's first `apply`,
   * `endBatch` after its last, inside the same transaction. A failed batch is begun again.
   */
  beginBatch?(): void;
  endBatch?(db: SqlDatabase): void;
}
