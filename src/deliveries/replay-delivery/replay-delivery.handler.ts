import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Ledger } from '../../ledger/ledger.service.js';
import { illegalState, notFound } from '../../shared/domain/domain-error.js';
import { SubscriptionsProjection } from '../../subscriptions/subscription-view/subscriptions.projection.js';
import { DeliveriesProjection } from '../delivery-log/deliveries.projection.js';
import { deliveryDecider } from '../domain/delivery.decider.js';
import { deliveryStream } from '../domain/delivery.events.js';
import { ReplayDeliveryCommand } from './replay-delivery.command.js';

@CommandHandler(ReplayDeliveryCommand)
export class ReplayDeliveryHandler implements ICommandHandler<ReplayDeliveryCommand> {
  constructor(
    private readonly ledger: Ledger,
    private readonly deliveries: DeliveriesProjection,
    private readonly subscriptions: SubscriptionsProjection,
  ) {}

  /** Decided on the delivery's own stream, so "in flight or scheduled" is judged on the ledger, not a view. */
  async execute({ deliveryId, reason, jobId, context }: ReplayDeliveryCommand): Promise<{ position: bigint | null }> {
    const delivery = this.deliveries.get(deliveryId);
    if (!delivery || delivery.tenantId !== context.tenantId) throw notFound('DELIVERY.NOT_FOUND', `Delivery ${deliveryId} not found`);
    const subscription = this.subscriptions.find(delivery.subscriptionId);
    if (!subscription || subscription.status === 'deleted') {
      throw illegalState('SUBSCRIPTION.DELETED', `The subscription of delivery ${deliveryId} was deleted; nothing can be sent to it`);
    }
    if (subscription.status === 'disabled') {
      throw illegalState('SUBSCRIPTION.DISABLED', `The subscription of delivery ${deliveryId} is disabled; resume it first`);
    }
    const { deliveryId: id, eventId, subscriptionId, tenantId } = { ...delivery, deliveryId: delivery.id };
    const result = await this.ledger.decide(
      deliveryStream(id),
      deliveryDecider,
      { type: 'RequestReplay', deliveryId: id, eventId, subscriptionId, tenantId, reason, jobId, at: context.now.toISOString() },
      context,
    );
    return { position: result.position };
  }
}
