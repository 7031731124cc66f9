import { Module } from '@nestjs/common';
import { DeliveriesModule } from '../deliveries/deliveries.module.js';
import { EventsModule } from '../events/events.module.js';
import { AuditHttpController } from './audit.http.controller.js';
import { AuditTrailProjection } from './audit-trail/audit-trail.projection.js';
import { LedgerExportQuery } from './ledger-export/ledger-export.query.js';
import { LedgerHeadsProjection } from './ledger-verify/ledger-heads.projection.js';
import { LedgerVerifyQuery } from './ledger-verify/ledger-verify.query.js';

/** SPEC §3 Audit: the trail of commands, the ledger export and the tamper-evidence check. */
@Module({
  imports: [EventsModule, DeliveriesModule],
  controllers: [AuditHttpController],
  providers: [AuditTrailProjection, LedgerHeadsProjection, LedgerExportQuery, LedgerVerifyQuery],
})
export class AuditModule {}
