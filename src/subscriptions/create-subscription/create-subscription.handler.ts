import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomBytes } from 'node:crypto';
import { prefixedId } from '../../shared/domain/ids.js';
import { SubscriptionResult, SubscriptionStore } from '../subscription-store.js';
import { CreateSubscriptionCommand } from './create-subscription.command.js';

@CommandHandler(CreateSubscriptionCommand)
export class CreateSubscriptionHandler implements ICommandHandler<CreateSubscriptionCommand> {
  constructor(private readonly subscriptions: SubscriptionStore) {}

  async execute({ config, secret, context }: CreateSubscriptionCommand): Promise<SubscriptionResult> {
    const subscriptionId = prefixedId('sub', context.now.getTime(), randomBytes(10));
    const { clear, sealed } = this.subscriptions.newSecret(context.now, secret);
    const row = await this.subscriptions.decide(
      { type: 'CreateSubscription', subscriptionId, tenantId: context.tenantId, at: context.now.toISOString(), config, secret: sealed },
      context,
    );
    return { subscription: this.subscriptions.found(row, subscriptionId), secret: clear };
  }
}
