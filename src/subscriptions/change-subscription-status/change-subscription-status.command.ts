import { Command } from '@nestjs/cqrs';
import type { SubscriptionRow } from '../subscription-view/subscriptions.projection.js';
import type { TenantContext } from '../subscription-store.js';

export type StatusChange = 'pause' | 'resume' | 'disable' | 'delete';

/** Pause, resume, disable (by an operator) or delete: transitions that carry no data. */
export class ChangeSubscriptionStatusCommand extends Command<SubscriptionRow | null> {
  constructor(
    readonly subscriptionId: string,
    readonly change: StatusChange,
    readonly context: TenantContext,
  ) {
    super();
  }
}
