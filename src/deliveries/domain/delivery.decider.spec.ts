import { describe, it } from 'vitest';
import { specFor } from '../../../test/support/given-when-then.js';
import { DeliveryCommand, deliveryDecider } from './delivery.decider.js';
import { AttemptRecord, DeliveryEvent } from './delivery.events.js';

const given = specFor(deliveryDecider);
const ids = { deliveryId: 'dlv_1', eventId: 'evt_1', subscriptionId: 'sub_1', tenantId: 'ten_1' };
const at = '2026-01-01T00:00:00.000Z';

function attempt(n: number, outcome: AttemptRecord['outcome'], trigger: AttemptRecord['trigger'] = n === 1 ? 'initial' : 'retry'): AttemptRecord {
  return {
    attempt: n,
    trigger,
    startedAt: at,
    request: { url: 'https://x.example', headers: {}, signature: 'v1,x', secretIds: ['sec_1'], bodyBytes: 2, bodySha256: 'h' },
    response: { status: outcome === 'succeeded' ? 200 : outcome === 'retryable' ? 500 : 400, headers: {}, body: '' },
    error: null,
    durationMs: 5,
    outcome,
  };
}
const record = (a: AttemptRecord, nextDelayMs: number | null = 5000): DeliveryCommand => ({ type: 'RecordAttempt', ...ids, attempt: a, nextDelayMs, at });
const made = (a: AttemptRecord): DeliveryEvent => ({ type: 'AttemptMade', data: { ...ids, ...a } });
const scheduled = (n: number, dueAt = '2026-01-01T00:00:05.000Z'): DeliveryEvent => ({ type: 'RetryScheduled', data: { ...ids, attempt: n, dueAt } });
const failed = (n: number, reason: 'exhausted' | 'permanent'): DeliveryEvent => ({ type: 'DeliveryFailed', data: { ...ids, attempts: n, reason, failedAt: at } });
const succeeded = (n: number, afterFailures = false): DeliveryEvent => ({ type: 'DeliverySucceeded', data: { ...ids, attempts: n, succeededAt: at, afterFailures } });
const cancelled: DeliveryEvent = { type: 'DeliveryCancelled', data: { ...ids, reason: 'subscription deleted', cancelledAt: at } };
const replayRequested: DeliveryEvent = { type: 'ReplayRequested', data: { ...ids, reason: 'fixed', jobId: null, requestedAt: at } };

describe('delivery decider', () => {
  describe('attempts', () => {
    it('records a success', () => given([]).when(record(attempt(1, 'succeeded'))).then([made(attempt(1, 'succeeded')), succeeded(1)]));
    it('schedules a retry after a retryable failure', () =>
      given([]).when(record(attempt(1, 'retryable'))).then([made(attempt(1, 'retryable')), scheduled(2)]));
    it('fails when no retry is left', () =>
      given([made(attempt(1, 'retryable')), scheduled(2)]).when(record(attempt(2, 'retryable'), null)).then([made(attempt(2, 'retryable')), failed(2, 'exhausted')]));
    it('fails at once on a permanent failure', () => given([]).when(record(attempt(1, 'permanent'))).then([made(attempt(1, 'permanent')), failed(1, 'permanent')]));
    it('marks a success after failures as a recovery', () =>
      given([made(attempt(1, 'retryable')), scheduled(2)]).when(record(attempt(2, 'succeeded'))).then([made(attempt(2, 'succeeded')), succeeded(2, true)]));
    it('ignores an attempt already recorded', () => given([made(attempt(1, 'retryable')), scheduled(2)]).when(record(attempt(1, 'retryable'))).then([]));
    it('ignores an automatic attempt on a cancelled delivery', () => given([cancelled]).when(record(attempt(1, 'succeeded'))).then([]));
  });

  describe('cancel', () => {
    it('cancels a pending delivery', () => given([]).when({ type: 'CancelDelivery', ...ids, reason: 'subscription deleted', at }).then([cancelled]));
    it('cancels a scheduled retry', () =>
      given([made(attempt(1, 'retryable')), scheduled(2)]).when({ type: 'CancelDelivery', ...ids, reason: 'subscription deleted', at }).then([cancelled]));
    it('leaves a final delivery alone', () =>
      given([made(attempt(1, 'succeeded')), succeeded(1)]).when({ type: 'CancelDelivery', ...ids, reason: 'x', at }).then([]));
  });

  describe('replay', () => {
    const finalFailure = [made(attempt(1, 'permanent')), failed(1, 'permanent')];
    const request: DeliveryCommand = { type: 'RequestReplay', ...ids, reason: 'fixed', jobId: null, at };
    it('is requested on a failed delivery', () => given(finalFailure).when(request).then([replayRequested]));
    it('is requested on a cancelled or succeeded delivery', () => {
      given([cancelled]).when(request).then([replayRequested]);
      given([made(attempt(1, 'succeeded')), succeeded(1)]).when(request).then([replayRequested]);
    });
    it('is refused while an attempt is pending or scheduled', () => {
      given([]).when(request).thenThrows('DELIVERY.IN_PROGRESS');
      given([made(attempt(1, 'retryable')), scheduled(2)]).when(request).thenThrows('DELIVERY.IN_PROGRESS');
    });
    it('is refused while a replay is already requested', () => given([...finalFailure, replayRequested]).when(request).thenThrows('DELIVERY.IN_PROGRESS'));
    it('records a successful replay as the delivery succeeding', () =>
      given([...finalFailure, replayRequested]).when(record(attempt(2, 'succeeded', 'replay'))).then([made(attempt(2, 'succeeded', 'replay')), succeeded(2, true)]));
    it('never schedules or fails anything after a failed replay', () =>
      given([...finalFailure, replayRequested]).when(record(attempt(2, 'retryable', 'replay'))).then([made(attempt(2, 'retryable', 'replay'))]));
    it('asks once per bulk job, even when the job runs again', () => {
      const byJob: DeliveryCommand = { type: 'RequestReplay', ...ids, reason: null, jobId: 'rpl_1', at };
      const requested: DeliveryEvent = { type: 'ReplayRequested', data: { ...ids, reason: null, jobId: 'rpl_1', requestedAt: at } };
      given(finalFailure).when(byJob).then([requested]);
      given([...finalFailure, requested, made(attempt(2, 'retryable', 'replay'))]).when(byJob).then([]);
    });
    it('ignores a replay attempt nobody requested', () => given(finalFailure).when(record(attempt(2, 'succeeded', 'replay'))).then([]));
  });
});
