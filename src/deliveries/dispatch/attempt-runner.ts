import { Injectable, Logger } from '@nestjs/common';
import { WrongExpectedRevisionError } from '../../event-store/event-store.port.js';
import { EventsProjection } from '../../events/event-view/events.projection.js';
import type { CommandContext } from '../../ledger/ledger-context.js';
import { Ledger } from '../../ledger/ledger.service.js';
import { SecretBox } from '../../shared/crypto/secret-box.js';
import { SubscriptionStore } from '../../subscriptions/subscription-store.js';
import { SubscriptionRow, SubscriptionsProjection } from '../../subscriptions/subscription-view/subscriptions.projection.js';
import { VERSION } from '../../version.js';
import { DeliveryCommand, deliveryDecider } from '../domain/delivery.decider.js';
import { AttemptRecord, DeliveryEvent, deliveryStream } from '../domain/delivery.events.js';
import { AttemptOutcome, classifyError, classifyResponse, nextAttemptDelay, retryAfterMs } from '../domain/retry-policy.js';
import type { DeliveryRow } from '../delivery-log/deliveries.projection.js';
import type { SendResult } from './http-sender.js';
import { type SendAnswer, SendingThread } from './sending-thread.js';
import { buildWebhookRequest, OutgoingRequest, recordedRequest, webhookBodyOf } from './webhook-request.js';

export const USER_AGENT = `hookledger/${VERSION}`;

export interface Appended {
  events: DeliveryEvent[];
  /** Where the ledger put them; null when nothing was appended. */
  position: bigint | null;
  /** The request was never sent (see `SendingThread.withdraw`): nothing was attempted, the delivery is due as before. */
  withdrawn?: true;
}

/**
 * One attempt of one delivery: build the request, send it (signed as it goes out), and append the
 * attempt with the delivery's next state. The state and revision come from the delivery view, so the
 * hot path reads no stream; a stale view shows up as a revision conflict and is decided again from
 * the ledger.
 */
@Injectable()
export class AttemptRunner {
  private readonly logger = new Logger('AttemptRunner');
  private readonly openedSecrets = new Map<string, string>();

  constructor(
    private readonly ledger: Ledger,
    private readonly events: EventsProjection,
    private readonly subscriptions: SubscriptionsProjection,
    private readonly subscriptionStore: SubscriptionStore,
    private readonly secretBox: SecretBox,
    private readonly sender: SendingThread,
  ) {}

  /**
   * `onSent` is called with the answer once the receiver has answered (or failed), before the
   * attempt is recorded, or once the request was withdrawn unsent.
   */
  async run(delivery: DeliveryRow, subscription: SubscriptionRow, onSent: (answer: SendAnswer) => void = () => undefined): Promise<Appended> {
    // Its place in the lane is taken now, in the order the scheduler starts attempts; the payload may take longer to read than the next one's.
    const place = this.sender.reserve(subscription.id);
    const { config } = subscription;
    let request: OutgoingRequest;
    try {
      request = await this.build(delivery, subscription);
    } catch (error) {
      this.sender.abandon(place);
      throw error;
    }
    const { url, headers, body, signing } = request;
    const result = await this.sender.send(place, { url, headers, body, signing, timeoutMs: config.timeoutMs, concurrency: config.maxConcurrency });
    onSent(result);
    if (result.kind === 'withdrawn') return { events: [], position: null, withdrawn: true };

    const { outcome, error } = classify(result, config.retryPolicy.retryAllFailures);
    const attempt: AttemptRecord = {
      attempt: delivery.state.attempts + 1,
      trigger: delivery.trigger,
      // When it went out, as its signature's timestamp (to the second).
      startedAt: new Date(result.startedAt).toISOString(),
      request: recordedRequest(request, result.signed),
      response: result.kind === 'response' ? { status: result.status, headers: result.headers, body: result.body } : null,
      error,
      durationMs: Math.round(result.durationMs),
      outcome,
    };
    const nextDelayMs =
      outcome === 'retryable'
        ? nextAttemptDelay({
            schedule: config.retryPolicy.schedule,
            attemptMade: attempt.attempt,
            random01: Math.random(),
            ...(result.kind === 'response' ? { status: result.status, retryAfterMs: retryAfterMs(result.headers['retry-after'], Date.now()) } : {}),
          })
        : null;
    const { id: deliveryId, eventId, subscriptionId, tenantId } = delivery;
    const command: DeliveryCommand = { type: 'RecordAttempt', deliveryId, eventId, subscriptionId, tenantId, attempt, nextDelayMs, at: new Date().toISOString() };
    const appended = await this.decide(delivery, command);
    if (result.kind === 'response' && result.status === 410 && appended.events.length > 0) await this.disableGone(delivery);
    return appended;
  }

  private async build(delivery: DeliveryRow, subscription: SubscriptionRow): Promise<OutgoingRequest> {
    const event = await this.events.payload(delivery.tenantId, delivery.eventId);
    if (!event) throw new Error(`event ${delivery.eventId} of delivery ${delivery.id} is missing from the events view`);
    const { config } = subscription;
    const secrets = this.subscriptions.signingSecrets(subscription.id, new Date().toISOString()).map((s) => ({ id: s.id, secret: this.open(s.id, s.sealed) }));
    return buildWebhookRequest(event, webhookBodyOf(event, config.payload), config, secrets, USER_AGENT);
  }

  /** Attempts of this subscription (every one: null) handed to the sending thread and not yet sent are withdrawn. */
  withdraw(subscriptionId: string | null): void {
    this.sender.withdraw(subscriptionId);
  }

  cancel(delivery: DeliveryRow, reason: string): Promise<Appended> {
    return this.decide(delivery, { type: 'CancelDelivery', ...ids(delivery), reason, at: new Date().toISOString() });
  }

  /** Decide on the cached state and append at its revision; on a conflict, decide again on the stream itself. */
  private async decide(delivery: DeliveryRow, command: DeliveryCommand): Promise<Appended> {
    const context = systemContext(delivery);
    const events = deliveryDecider.decide(command, delivery.state);
    if (events.length === 0) return { events, position: null };
    const expected = delivery.revision < 0 ? 'no_stream' : BigInt(delivery.revision);
    try {
      const result = await this.ledger.append(deliveryStream(delivery.id), events, expected, delivery.lastHash, context);
      return { events, position: result.position };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      this.logger.debug({ msg: 'delivery view was behind its stream; deciding again from the ledger', deliveryId: delivery.id });
      const decided = await this.ledger.decide(deliveryStream(delivery.id), deliveryDecider, command, context);
      return { events: decided.events, position: decided.position };
    }
  }

  private async disableGone(delivery: DeliveryRow): Promise<void> {
    await this.subscriptionStore.decide(
      {
        type: 'DisableSubscription',
        subscriptionId: delivery.subscriptionId,
        tenantId: delivery.tenantId,
        at: new Date().toISOString(),
        reason: 'gone',
        detail: `410 Gone from delivery ${delivery.id}`,
      },
      systemContext(delivery),
    );
  }

  private open(id: string, sealed: string): string {
    let secret = this.openedSecrets.get(id);
    if (secret === undefined) {
      secret = this.secretBox.open(sealed);
      this.openedSecrets.set(id, secret);
    }
    return secret;
  }
}

function ids(delivery: DeliveryRow) {
  return { deliveryId: delivery.id, eventId: delivery.eventId, subscriptionId: delivery.subscriptionId, tenantId: delivery.tenantId };
}

function systemContext(delivery: DeliveryRow): CommandContext & { tenantId: string } {
  return { actor: { type: 'system', reason: 'dispatcher' }, correlationId: delivery.id, tenantId: delivery.tenantId, now: new Date() };
}

function classify(result: SendResult, retryAllFailures: boolean): { outcome: AttemptOutcome; error: AttemptRecord['error'] } {
  if (result.kind === 'error') return { outcome: classifyError(result.errorClass), error: { class: result.errorClass, message: result.message } };
  const outcome = classifyResponse(result.status, retryAllFailures);
  if (result.status >= 300 && result.status < 400) {
    return { outcome, error: { class: 'redirect', message: `${result.status} redirect not followed (Location: ${result.headers.location ?? 'none'})` } };
  }
  return { outcome, error: null };
}
