import { assertNever, Decider } from '../../shared/domain/decider.js';
import { illegalState } from '../../shared/domain/domain-error.js';
import type { AttemptRecord, DeliveryEvent } from './delivery.events.js';

export type DeliveryStatus = 'pending' | 'scheduled' | 'succeeded' | 'failed' | 'cancelled';

/** A delivery exists from its fan-out in `EventCreated`; its own stream starts with the first attempt. */
export interface DeliveryState {
  status: DeliveryStatus;
  attempts: number;
  /** Attempts since the last success (or the start) that did not succeed. */
  failuresInARow: number;
  dueAt: string | null;
  replayRequested: boolean;
  /** Bulk replay jobs that already asked for a replay of this delivery. */
  replayJobs: string[];
}

type Ids = { deliveryId: string; eventId: string; subscriptionId: string; tenantId: string };

export type DeliveryCommand =
  | (Ids & {
      type: 'RecordAttempt';
      attempt: AttemptRecord;
      /** Delay before the next automatic attempt from the retry policy; null when none is left. */
      nextDelayMs: number | null;
      at: string;
    })
  | (Ids & { type: 'CancelDelivery'; reason: string; at: string })
  | (Ids & { type: 'RequestReplay'; reason: string | null; jobId: string | null; at: string });

const FINAL: ReadonlySet<DeliveryStatus> = new Set(['succeeded', 'failed', 'cancelled']);
export const isFinal = (status: DeliveryStatus) => FINAL.has(status);

function ids(command: Ids): Ids {
  return { deliveryId: command.deliveryId, eventId: command.eventId, subscriptionId: command.subscriptionId, tenantId: command.tenantId };
}

export const deliveryDecider: Decider<DeliveryState, DeliveryCommand, DeliveryEvent> = {
  initialState: () => ({ status: 'pending', attempts: 0, failuresInARow: 0, dueAt: null, replayRequested: false, replayJobs: [] }),

  evolve(state, event) {
    switch (event.type) {
      case 'AttemptMade':
        return {
          ...state,
          attempts: event.data.attempt,
          failuresInARow: event.data.outcome === 'succeeded' ? 0 : state.failuresInARow + 1,
          replayRequested: event.data.trigger === 'replay' ? false : state.replayRequested,
          status: isFinal(state.status) ? state.status : 'pending',
          dueAt: null,
        };
      case 'DeliverySucceeded':
        return { ...state, status: 'succeeded', dueAt: null };
      case 'RetryScheduled':
        return { ...state, status: 'scheduled', dueAt: event.data.dueAt };
      case 'DeliveryFailed':
        return { ...state, status: 'failed', dueAt: null };
      case 'DeliveryCancelled':
        return { ...state, status: 'cancelled', dueAt: null };
      case 'ReplayRequested':
        return { ...state, replayRequested: true, replayJobs: event.data.jobId ? [...state.replayJobs, event.data.jobId] : state.replayJobs };
      default:
        return assertNever(event);
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'RecordAttempt':
        return recordAttempt(command, state);
      case 'CancelDelivery':
        if (isFinal(state.status)) return [];
        return [{ type: 'DeliveryCancelled', data: { ...ids(command), reason: command.reason, cancelledAt: command.at } }];
      case 'RequestReplay':
        if (command.jobId !== null && state.replayJobs.includes(command.jobId)) return [];
        if (!isFinal(state.status) || state.replayRequested) {
          throw illegalState(
            'DELIVERY.IN_PROGRESS',
            `Delivery ${command.deliveryId} has an attempt in flight or scheduled; replay it once that has ended`,
          );
        }
        return [{ type: 'ReplayRequested', data: { ...ids(command), reason: command.reason, jobId: command.jobId, requestedAt: command.at } }];
      default:
        return assertNever(command);
    }
  },
};

/**
 * An attempt and the delivery's next state, appended together. A manual replay records its attempt
 * and, on success, the success; it never schedules or fails anything: the automatic schedule is
 * not its business.
 */
function recordAttempt(command: Extract<DeliveryCommand, { type: 'RecordAttempt' }>, state: DeliveryState): DeliveryEvent[] {
  const { attempt } = command;
  // An attempt already recorded (a second worker, a redelivered message) changes nothing.
  if (attempt.attempt !== state.attempts + 1) return [];
  const isReplay = attempt.trigger === 'replay';
  if (isReplay ? !state.replayRequested : isFinal(state.status)) return [];

  // Written out rather than spread: V8 copies a spread object that then gains keys on a slow path
  // (several microseconds each here), and this runs for every attempt.
  const { deliveryId, eventId, subscriptionId, tenantId } = command;
  const made: DeliveryEvent = {
    type: 'AttemptMade',
    data: {
      deliveryId,
      eventId,
      subscriptionId,
      tenantId,
      attempt: attempt.attempt,
      trigger: attempt.trigger,
      startedAt: attempt.startedAt,
      request: attempt.request,
      response: attempt.response,
      error: attempt.error,
      durationMs: attempt.durationMs,
      outcome: attempt.outcome,
    },
  };
  if (attempt.outcome === 'succeeded') {
    if (state.status === 'succeeded') return [made];
    const afterFailures = state.failuresInARow > 0;
    return [made, { type: 'DeliverySucceeded', data: { deliveryId, eventId, subscriptionId, tenantId, attempts: attempt.attempt, succeededAt: command.at, afterFailures } }];
  }
  if (isReplay) return [made];
  if (attempt.outcome === 'retryable' && command.nextDelayMs !== null) {
    const dueAt = new Date(Date.parse(command.at) + command.nextDelayMs).toISOString();
    return [made, { type: 'RetryScheduled', data: { deliveryId, eventId, subscriptionId, tenantId, attempt: attempt.attempt + 1, dueAt } }];
  }
  const reason = attempt.outcome === 'permanent' ? 'permanent' : 'exhausted';
  return [made, { type: 'DeliveryFailed', data: { deliveryId, eventId, subscriptionId, tenantId, attempts: attempt.attempt, reason, failedAt: command.at } }];
}
