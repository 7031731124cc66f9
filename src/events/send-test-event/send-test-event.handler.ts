import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { illegalState, notFound } from '../../shared/domain/domain-error.js';
import { SubscriptionsProjection } from '../../subscriptions/subscription-view/subscriptions.projection.js';
import { TEST_EVENT_TYPE } from '../domain/event.events.js';
import { EventPublisher, Published } from '../publish-event/event-publisher.js';
import { SendTestEventCommand } from './send-test-event.command.js';

@CommandHandler(SendTestEventCommand)
export class SendTestEventHandler implements ICommandHandler<SendTestEventCommand> {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly subscriptions: SubscriptionsProjection,
  ) {}

  async execute({ subscriptionId, context }: SendTestEventCommand): Promise<Published> {
    const subscription = this.subscriptions.get(context.tenantId, subscriptionId);
    if (!subscription) throw notFound('SUBSCRIPTION.NOT_FOUND', `Subscription ${subscriptionId} not found`);
    if (subscription.status === 'disabled') {
      throw illegalState('SUBSCRIPTION.DISABLED', `Subscription ${subscriptionId} is disabled; resume it before testing it`);
    }
    // The type is in the data too, so a subscription on raw payloads can tell a test apart.
    const data = { type: TEST_EVENT_TYPE, subscriptionId, message: 'This is a test event from hookledger.' };
    return this.publisher.publish({ type: TEST_EVENT_TYPE, data }, context, { only: subscription, test: true });
  }
}
