import { DynamicModule, Module, OnApplicationBootstrap } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AccessModule } from './access/access.module.js';
import { ROOT_KEY } from './access/auth/api-key.guard.js';
import type { RootKey } from './access/auth/root-key.js';
import { CONFIG, type Config } from './config/config.js';
import type { EventStore } from './event-store/event-store.port.js';
import type { SqlDatabase } from './event-store/read-model.database.js';
import { LedgerModule } from './ledger/ledger.module.js';
import { OperationsModule } from './operations/operations.module.js';
import { ProjectionRunner } from './projections/projection-runner.js';
import { SecretBox } from './shared/crypto/secret-box.js';
import { SubscriptionsModule } from './subscriptions/subscriptions.module.js';
import { EventsModule } from './events/events.module.js';
import { DeliveriesModule } from './deliveries/deliveries.module.js';
import { OperatorJobsModule } from './operator-jobs/operator-jobs.module.js';
import { AuditModule } from './audit/audit.module.js';

export interface AppDependencies {
  config: Config;
  store: EventStore;
  readModel: SqlDatabase;
  rootKey: RootKey;
  secretBox: SecretBox;
}

@Module({})
export class AppModule implements OnApplicationBootstrap {
  static forRoot(deps: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        CqrsModule.forRoot(),
        LedgerModule.forRoot(deps.store, deps.readModel),
        OperationsModule,
        AccessModule,
        SubscriptionsModule,
        EventsModule,
        DeliveriesModule,
        OperatorJobsModule,
        AuditModule,
      ],
      providers: [
        { provide: CONFIG, useValue: deps.config },
        { provide: ROOT_KEY, useValue: deps.rootKey },
        { provide: SecretBox, useValue: deps.secretBox },
      ],
      exports: [CONFIG, ROOT_KEY, SecretBox],
    };
  }

  constructor(private readonly runner: ProjectionRunner) {}

  /** Every module registered its projections in onModuleInit; now they can be fed. */
  onApplicationBootstrap(): void {
    this.runner.start();
  }
}
