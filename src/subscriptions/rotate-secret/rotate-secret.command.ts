import { Command } from '@nestjs/cqrs';
import type { SubscriptionResult, TenantContext } from '../subscription-store.js';

export class RotateSecretCommand extends Command<SubscriptionResult> {
  constructor(
    readonly subscriptionId: string,
    readonly secret: string | undefined,
    readonly graceMs: number,
    readonly context: TenantContext,
  ) {
    super();
  }
}
