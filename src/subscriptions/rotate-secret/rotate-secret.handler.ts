import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { SubscriptionResult, SubscriptionStore } from '../subscription-store.js';
import { RotateSecretCommand } from './rotate-secret.command.js';

@CommandHandler(RotateSecretCommand)
export class RotateSecretHandler implements ICommandHandler<RotateSecretCommand> {
  constructor(private readonly subscriptions: SubscriptionStore) {}

  async execute({ subscriptionId, secret, graceMs, context }: RotateSecretCommand): Promise<SubscriptionResult> {
    const { clear, sealed } = this.subscriptions.newSecret(context.now, secret);
    const row = await this.subscriptions.decide(
      { type: 'RotateSecret', subscriptionId, tenantId: context.tenantId, at: context.now.toISOString(), secret: sealed, graceMs },
      context,
    );
    return { subscription: this.subscriptions.found(row, subscriptionId), secret: clear };
  }
}
