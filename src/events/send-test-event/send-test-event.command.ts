import { Command } from '@nestjs/cqrs';
import type { CommandContext } from '../../ledger/ledger-context.js';
import type { Published } from '../publish-event/event-publisher.js';

/** A `webhook.test` event to one subscription: sent on create and on `POST /v1/subscriptions/:id/test`. */
export class SendTestEventCommand extends Command<Published> {
  constructor(
    readonly subscriptionId: string,
    readonly context: CommandContext & { tenantId: string },
  ) {
    super();
  }
}
