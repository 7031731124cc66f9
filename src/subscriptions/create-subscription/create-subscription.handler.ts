import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { SendTestEventCommand } from '../../events/send-test-event/send-test-event.command.js';
import { newId } from '../../shared/crypto/random-ids.js';
import { SubscriptionResult, SubscriptionStore } from '../subscription-store.js';
import { CreateSubscriptionCommand } from './create-subscription.command.js';

@CommandHandler(CreateSubscriptionCommand)
export class CreateSubscriptionHandler implements ICommandHandler<CreateSubscriptionCommand> {
  constructor(
    private readonly subscriptions: SubscriptionStore,
    private readonly commands: CommandBus,
  ) {}

  async execute({ config, secret, context }: CreateSubscriptionCommand): Promise<SubscriptionResult> {
    const subscriptionId = newId('sub', context.now.getTime());
    const { clear, sealed } = this.subscriptions.newSecret(context.now, secret);
    const row = await this.subscriptions.decide(
      { type: 'CreateSubscription', subscriptionId, tenantId: context.tenantId, at: context.now.toISOString(), config, secret: sealed },
      context,
    );
    const subscription = this.subscriptions.found(row, subscriptionId);
    // SPEC §3: a new subscription gets a test event at once; its attempt is recorded like any other.
    await this.commands.execute(new SendTestEventCommand(subscriptionId, context));
    return { subscription, secret: clear };
  }
}
