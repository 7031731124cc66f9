import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { assertNever } from '../../shared/domain/decider.js';
import type { SubscriptionCommand } from '../domain/subscription.decider.js';
import type { SubscriptionRow } from '../subscription-view/subscriptions.projection.js';
import { SubscriptionStore } from '../subscription-store.js';
import { ChangeSubscriptionStatusCommand, StatusChange } from './change-subscription-status.command.js';

function toCommand(change: StatusChange, target: { subscriptionId: string; tenantId: string; at: string }): SubscriptionCommand {
  switch (change) {
    case 'pause':
      return { type: 'PauseSubscription', ...target };
    case 'resume':
      return { type: 'ResumeSubscription', ...target };
    case 'disable':
      return { type: 'DisableSubscription', ...target, reason: 'operator', detail: null };
    case 'delete':
      return { type: 'DeleteSubscription', ...target };
    default:
      return assertNever(change);
  }
}

@CommandHandler(ChangeSubscriptionStatusCommand)
export class ChangeSubscriptionStatusHandler implements ICommandHandler<ChangeSubscriptionStatusCommand> {
  constructor(private readonly subscriptions: SubscriptionStore) {}

  async execute({ subscriptionId, change, context }: ChangeSubscriptionStatusCommand): Promise<SubscriptionRow | null> {
    const target = { subscriptionId, tenantId: context.tenantId, at: context.now.toISOString() };
    const row = await this.subscriptions.decide(toCommand(change, target), context);
    return change === 'delete' ? null : this.subscriptions.found(row, subscriptionId);
  }
}
