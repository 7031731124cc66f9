import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { StoredEvent } from '../../event-store/event-store.port.js';
import { OPERATIONAL_PREFIX } from '../../events/domain/event.events.js';
import { EventsProjection } from '../../events/event-view/events.projection.js';
import { EventInput, EventPublisher } from '../../events/publish-event/event-publisher.js';
import { ProjectionRunner } from '../../projections/projection-runner.js';
import type { SubscriptionEvent } from '../../subscriptions/domain/subscription.events.js';
import type { DeliveryEvent } from '../domain/delivery.events.js';

type Emitted = { tenantId: string; event: EventInput };

/**
 * SPEC §8: hookledger publishes its own events into the tenant. Each one's id derives from what
 * caused it, so several instances (or a repeat) publish it once. Deliveries of operational and test
 * events never cause more: no recursion. Reacts to what is applied live; a crash between the cause
 * and the publish loses that one notification (the cause itself stays in the ledger).
 */
@Injectable()
export class OperationalEventsReactor implements OnApplicationBootstrap {
  private readonly logger = new Logger('OperationalEvents');

  constructor(
    private readonly runner: ProjectionRunner,
    private readonly events: EventsProjection,
    private readonly publisher: EventPublisher,
  ) {}

  onApplicationBootstrap(): void {
    this.runner.onApplied((batch) => {
      if (!this.runner.caughtUp) return;
      for (const stored of batch) {
        const emitted = this.toOperational(stored);
        if (emitted) void this.publish(emitted);
      }
    });
  }

  private toOperational(stored: StoredEvent): Emitted | null {
    const event = { type: stored.type, data: stored.data } as DeliveryEvent | SubscriptionEvent | { type: string; data: unknown };
    switch (event.type) {
      case 'DeliveryFailed':
      case 'DeliverySucceeded': {
        const data = (event as Extract<DeliveryEvent, { type: 'DeliveryFailed' | 'DeliverySucceeded' }>).data;
        if (event.type === 'DeliverySucceeded' && !(data as { afterFailures: boolean }).afterFailures) return null;
        const source = this.events.get(data.tenantId, data.eventId);
        if (!source || source.test || source.type.startsWith(OPERATIONAL_PREFIX)) return null;
        const failed = event.type === 'DeliveryFailed';
        return {
          tenantId: data.tenantId,
          event: {
            type: failed ? 'hookledger.delivery.failed' : 'hookledger.delivery.recovered',
            id: `hl.delivery.${failed ? 'failed' : 'recovered'}.${data.deliveryId}.${data.attempts}`,
            data: {
              deliveryId: data.deliveryId,
              eventId: data.eventId,
              eventType: source.type,
              subscriptionId: data.subscriptionId,
              attempts: data.attempts,
              ...(failed ? { reason: (data as { reason: string }).reason } : {}),
            },
          },
        };
      }
      case 'SubscriptionDisabled': {
        const { data } = event as Extract<SubscriptionEvent, { type: 'SubscriptionDisabled' }>;
        return {
          tenantId: data.tenantId,
          event: {
            type: 'hookledger.subscription.disabled',
            id: `hl.subscription.disabled.${stored.id}`,
            data: { subscriptionId: data.subscriptionId, reason: data.reason, detail: data.detail, disabledAt: data.disabledAt },
          },
        };
      }
      case 'SubscriptionSecretRotated': {
        const { data } = event as Extract<SubscriptionEvent, { type: 'SubscriptionSecretRotated' }>;
        return {
          tenantId: data.tenantId,
          event: {
            type: 'hookledger.subscription.secret_rotated',
            id: `hl.subscription.secret_rotated.${stored.id}`,
            data: { subscriptionId: data.subscriptionId, secretId: data.secret.id, previousSecretId: data.previousSecretId, previousValidUntil: data.previousValidUntil },
          },
        };
      }
      default:
        return null;
    }
  }

  private async publish({ tenantId, event }: Emitted): Promise<void> {
    try {
      await this.publisher.publish(event, { actor: { type: 'system', reason: 'operational event' }, correlationId: event.id!, tenantId, now: new Date() });
    } catch (error) {
      this.logger.error({ msg: 'could not publish an operational event', type: event.type, id: event.id, error: (error as Error).message });
    }
  }
}
