import { Command } from '@nestjs/cqrs';
import type { CommandContext } from '../../ledger/ledger-context.js';
import type { JobKind, JobWindow } from '../domain/job.events.js';

export class StartJobCommand extends Command<{ jobId: string; total: number }> {
  constructor(
    readonly kind: JobKind,
    readonly subscriptionId: string,
    readonly window: JobWindow,
    readonly reason: string | null,
    readonly context: CommandContext & { tenantId: string },
  ) {
    super();
  }
}
