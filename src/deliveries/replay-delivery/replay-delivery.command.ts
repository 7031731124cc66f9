import { Command } from '@nestjs/cqrs';
import type { CommandContext } from '../../ledger/ledger-context.js';

/** Ask for one more attempt of a finished delivery (SPEC §3); `jobId` when a bulk replay asks. */
export class ReplayDeliveryCommand extends Command<{ position: bigint | null }> {
  constructor(
    readonly deliveryId: string,
    readonly reason: string | null,
    readonly jobId: string | null,
    readonly context: CommandContext & { tenantId: string },
  ) {
    super();
  }
}
