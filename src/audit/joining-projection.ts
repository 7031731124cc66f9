import { Inject, Logger } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';
import { prepared, type SqlDatabase } from '../event-store/read-model.database.js';
import { ProjectionRunner, READ_MODEL_DB } from '../projections/projection-runner.js';
import { ReadModelProjection } from '../projections/read-model-projection.js';
import { ledgerPages } from './ledger-pages.js';

const PAGE = 500;

/**
 * The runner keeps one checkpoint for all projections, so a projection added to a read-model file
 * that already follows the ledger would start at that checkpoint and miss the past: an audit trail
 * with a hole, heads missing for every older stream. Before the runner starts, this replays the
 * ledger up to the checkpoint into this projection alone, recording its progress in the same
 * transaction as its rows, so a crash part-way resumes where it stopped.
 */
export abstract class JoiningProjection extends ReadModelProjection {
  private readonly logger = new Logger('Projections');

  constructor(
    @Inject(READ_MODEL_DB) db: SqlDatabase,
    @Inject(ProjectionRunner) private readonly projections: ProjectionRunner,
    @Inject(EVENT_STORE) protected readonly store: EventStore,
  ) {
    super(db, projections);
  }

  override async onModuleInit(): Promise<void> {
    super.onModuleInit();
    this.db.exec('CREATE TABLE IF NOT EXISTS projection_joins (name TEXT PRIMARY KEY, after TEXT NOT NULL, until TEXT NOT NULL)');
    prepared(this.db, 'INSERT OR IGNORE INTO projection_joins (name, after, until) VALUES (?, ?, ?)').run(
      this.name,
      '-1',
      this.projections.checkpoint.toString(),
    );
    const join = prepared(this.db, 'SELECT after, until FROM projection_joins WHERE name = ?').get(this.name) as { after: string; until: string };
    await this.catchUp(BigInt(join.after), BigInt(join.until));
  }

  private async catchUp(from: bigint, until: bigint): Promise<void> {
    if (from >= until) return;
    this.logger.log({ msg: 'projection joins an existing read model: replaying the ledger into it', projection: this.name, until: until.toString() });
    for await (const page of ledgerPages(this.store, PAGE, from)) {
      const within = page.filter((event) => event.position <= until);
      this.db.transaction(() => {
        this.beginBatch?.();
        for (const event of within) this.apply(this.db, event);
        this.endBatch?.(this.db);
        if (within.length > 0) this.joinedThrough(within[within.length - 1]!.position);
      })();
      if (within.length < page.length) break;
    }
    this.joinedThrough(until);
  }

  private joinedThrough(position: bigint): void {
    prepared(this.db, 'UPDATE projection_joins SET after = ? WHERE name = ?').run(position.toString(), this.name);
  }
}
