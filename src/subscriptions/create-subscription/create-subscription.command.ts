import { Command } from '@nestjs/cqrs';
import type { SubscriptionConfig } from '../domain/subscription.events.js';
import type { SubscriptionResult, TenantContext } from '../subscription-store.js';

export class CreateSubscriptionCommand extends Command<SubscriptionResult> {
  constructor(
    readonly config: SubscriptionConfig,
    readonly secret: string | undefined,
    readonly context: TenantContext,
  ) {
    super();
  }
}
