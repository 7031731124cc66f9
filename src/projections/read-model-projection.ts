import { Inject, OnModuleInit } from '@nestjs/common';
import type { StoredEvent } from '../event-store/event-store.port.js';
import type { SqlDatabase } from '../event-store/read-model.database.js';
import type { Projection } from './projection.js';
import { ProjectionRunner, READ_MODEL_DB } from './projection-runner.js';

/** A projection that owns tables in the read-model database and registers itself with the runner. */
export abstract class ReadModelProjection implements Projection, OnModuleInit {
  abstract readonly name: string;

  constructor(
    @Inject(READ_MODEL_DB) protected readonly db: SqlDatabase,
    @Inject(ProjectionRunner) private readonly runner: ProjectionRunner,
  ) {}

  abstract migrate(db: SqlDatabase): void;
  abstract apply(db: SqlDatabase, event: StoredEvent): void;
  beginBatch?(): void;
  endBatch?(db: SqlDatabase): void;

  onModuleInit(): void {
    this.runner.register(this);
  }
}
