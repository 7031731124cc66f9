import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { StoredEvent } from '../../event-store/event-store.port.js';
import { OPERATIONAL_PREFIX } from '../../events/domain/event.events.js';
import { EventsProjection } from '../../events/event-view/events.projection.js';
import { EventInput, EventPublisher } from '../../events/publish-event/event-publisher.js';
import { ProjectionRunner } from '../../projections/projection-runner.js';
import type { SubscriptionDisabled, SubscriptionSecretRotated } from '../../subscriptions/domain/subscription.events.js';
import type { DeliveryFailed, DeliverySucceeded } from '../domain/delivery.events.js';

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
    switch (stored.type) {
      case 'DeliveryFailed': {
        const data = stored.data as DeliveryFailed['data'];
        return this.aboutDelivery(data, 'failed', { reason: data.reason });
      }
      case 'DeliverySucceeded': {
        const data = stored.data as DeliverySucceeded['data'];
        return data.afterFailures ? this.aboutDelivery(data, 'recovered', {}) : null;
      }
      case 'SubscriptionDisabled': {
        const data = stored.data as SubscriptionDisabled['data'];
        return operational(data.tenantId, 'hookledger.subscription.disabled', `hl.subscription.disabled.${stored.id}`, {
          subscriptionId: data.subscriptionId,
          reason: data.reason,
          detail: data.detail,
          disabledAt: data.disabledAt,
        });
      }
      case 'SubscriptionSecretRotated': {
        const data = stored.data as SubscriptionSecretRotated['data'];
        return operational(data.tenantId, 'hookledger.subscription.secret_rotated', `hl.subscription.secret_rotated.${stored.id}`, {
          subscriptionId: data.subscriptionId,
          secretId: data.secret.id,
          previousSecretId: data.previousSecretId,
          previousValidUntil: data.previousValidUntil,
        });
      }
      default:
        return null;
    }
  }

  /** Deliveries of test and operational events never cause one: no recursion. */
  private aboutDelivery(data: DeliveryFailed['data'] | DeliverySucceeded['data'], outcome: 'failed' | 'recovered', extra: Record<string, unknown>): Emitted | null {
    const source = this.events.get(data.tenantId, data.eventId);
    if (!source || source.test || source.type.startsWith(OPERATIONAL_PREFIX)) return null;
    return operational(data.tenantId, `hookledger.delivery.${outcome}`, `hl.delivery.${outcome}.${data.deliveryId}.${data.attempts}`, {
      deliveryId: data.deliveryId,
      eventId: data.eventId,
      eventType: source.type,
      subscriptionId: data.subscriptionId,
      attempts: data.attempts,
      ...extra,
    });
  }

  private async publish({ tenantId, event }: Emitted): Promise<void> {
    try {
      await this.publisher.publish(event, { actor: { type: 'system', reason: 'operational event' }, correlationId: event.id!, tenantId, now: new Date() });
    } catch (error) {
      this.logger.error({ msg: 'could not publish an operational event', type: event.type, id: event.id, error: (error as Error).message });
    }
  }
}

function operational(tenantId: string, type: string, id: string, data: Record<string, unknown>): Emitted {
  return { tenantId, event: { type, id, data } };
}
