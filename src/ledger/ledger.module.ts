import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port.js';
import { closeReadModelDatabase, type SqlDatabase } from '../event-store/read-model.database.js';
import { ProjectionRunner, READ_MODEL_DB } from '../projections/projection-runner.js';
import { Ledger } from './ledger.service.js';

/** The ledger and the read-model store, opened by the bootstrap and shared by every capability. */
@Global()
@Module({})
export class LedgerModule implements OnApplicationShutdown {
  static forRoot(store: EventStore, readModel: SqlDatabase): DynamicModule {
    return {
      module: LedgerModule,
      providers: [
        { provide: EVENT_STORE, useValue: store },
        { provide: READ_MODEL_DB, useValue: readModel },
        Ledger,
        ProjectionRunner,
      ],
      exports: [EVENT_STORE, READ_MODEL_DB, Ledger, ProjectionRunner],
    };
  }

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODEL_DB) private readonly readModel: SqlDatabase,
  ) {}

  /** Runs after every other module's shutdown hook, so nothing appends to a closed store. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    closeReadModelDatabase(this.readModel);
  }
}
