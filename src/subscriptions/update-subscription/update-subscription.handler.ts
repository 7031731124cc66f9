import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { SubscriptionResult, SubscriptionStore } from '../subscription-store.js';
import { UpdateSubscriptionCommand } from './update-subscription.command.js';

@CommandHandler(UpdateSubscriptionCommand)
export class UpdateSubscriptionHandler implements ICommandHandler<UpdateSubscriptionCommand> {
  constructor(private readonly subscriptions: SubscriptionStore) {}

  async execute({ subscriptionId, changes, context }: UpdateSubscriptionCommand): Promise<SubscriptionResult> {
    const row = await this.subscriptions.decide(
      { type: 'UpdateSubscription', subscriptionId, tenantId: context.tenantId, at: context.now.toISOString(), changes },
      context,
    );
    return { subscription: this.subscriptions.found(row, subscriptionId) };
  }
}
