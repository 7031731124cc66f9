import { Injectable } from '@nestjs/common';
import { WrongExpectedRevisionError } from '../../event-store/event-store.port.js';
import { Ledger } from '../../ledger/ledger.service.js';
import type { CommandContext } from '../../ledger/ledger-context.js';
import { ProjectionRunner } from '../../projections/projection-runner.js';
import { newId } from '../../shared/crypto/random-ids.js';
import { SubscriptionRow, SubscriptionsProjection } from '../../subscriptions/subscription-view/subscriptions.projection.js';
import { EventCreated, eventStream, FanOut } from '../domain/event.events.js';
import { serialiseEventCreated } from '../domain/event-created-json.js';
import { route } from '../domain/routing.js';

export interface EventInput {
  type: string;
  data: unknown;
  id?: string;
  orderingKey?: string;
}

export interface Published {
  id: string;
  type: string;
  createdAt: string;
  deliveries: Array<{ id: string; subscriptionId: string }>;
  /** True when the id had been published before: this is that first result, and nothing new fanned out. */
  replayed: boolean;
}

export interface PublishOptions {
  /** Send to this one subscription whatever its event types (test events). */
  only?: SubscriptionRow;
  test?: boolean;
}

/**
 * Publishing: decide the fan-out, then append `EventCreated` to a stream named by the tenant and
 * the event id with "no stream expected". The ledger is the idempotency memory, with no window:
 * a second publish of the same id meets the existing stream and answers what the first recorded.
 */
@Injectable()
export class EventPublisher {
  constructor(
    private readonly ledger: Ledger,
    private readonly runner: ProjectionRunner,
    private readonly subscriptions: SubscriptionsProjection,
  ) {}

  async publish(input: EventInput, context: CommandContext & { tenantId: string }, options: PublishOptions = {}): Promise<Published> {
    const { tenantId, now } = context;
    const eventId = input.id ?? newId('evt', now.getTime());
    const stream = eventStream(tenantId, eventId);
    const createdAt = now.toISOString();
    const event: EventCreated = {
      type: 'EventCreated',
      data: {
        eventId,
        tenantId,
        type: input.type,
        data: input.data,
        idempotencyKey: input.id ?? null,
        orderingKey: input.orderingKey ?? null,
        createdAt,
        deliveries: this.fanOut(tenantId, input, options.only, now),
        test: options.test ?? false,
      },
    };
    try {
      // The payload is serialised once: for the ledger's row and hash, and (remembered) for the events view.
      const dataJson = serialiseEventCreated(event.data, JSON.stringify(input.data));
      const result = await this.ledger.append(stream, [{ type: event.type, data: event.data, dataJson }], 'no_stream', null, context);
      // The event is durable: that is what 202 promises. Read-your-writes is a courtesy a stalled
      // read model may not give, and never a reason to answer an error for a stored event.
      await this.runner.waitFor(result.position).catch(() => undefined);
      return toPublished(event, false);
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      return this.firstResult(stream);
    }
  }

  private fanOut(tenantId: string, input: EventInput, only: SubscriptionRow | undefined, now: Date): FanOut[] {
    const targets = only ? [only] : this.subscriptions.allOfTenant(tenantId).filter((s) => route(s, input).matched);
    return targets.map((s) => ({
      deliveryId: newId('dlv', now.getTime()),
      subscriptionId: s.id,
      ordered: s.config.ordering === 'key' && input.orderingKey !== undefined,
    }));
  }

  private async firstResult(stream: string): Promise<Published> {
    for await (const stored of this.ledger.store.readStream(stream, { maxCount: 1 })) {
      return toPublished({ type: 'EventCreated', data: stored.data as EventCreated['data'] }, true);
    }
    throw new Error(`stream ${stream} conflicted but holds no event`);
  }
}

function toPublished(event: EventCreated, replayed: boolean): Published {
  const { eventId, type, createdAt, deliveries } = event.data;
  return { id: eventId, type, createdAt, deliveries: deliveries.map((d) => ({ id: d.deliveryId, subscriptionId: d.subscriptionId })), replayed };
}
