import { Command } from '@nestjs/cqrs';
import type { ConfigChanges } from '../domain/subscription.events.js';
import type { SubscriptionResult, TenantContext } from '../subscription-store.js';

export class UpdateSubscriptionCommand extends Command<SubscriptionResult> {
  constructor(
    readonly subscriptionId: string,
    readonly changes: ConfigChanges,
    readonly context: TenantContext,
  ) {
    super();
  }
}
