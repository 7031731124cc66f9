import { describe, expect, it } from 'vitest';
import { specFor } from '../../../test/support/given-when-then.js';
import { fold } from '../../shared/domain/decider.js';
import { signingSecrets, SubscriptionCommand, subscriptionDecider } from './subscription.decider.js';
import { SubscriptionConfig, SubscriptionEvent } from './subscription.events.js';

const given = specFor(subscriptionDecider);
const ids = { subscriptionId: 'sub_1', tenantId: 'ten_1' };
const at = '2026-01-01T00:00:00.000Z';
const later = '2026-01-01T01:00:00.000Z';
const config: SubscriptionConfig = {
  url: 'https://example.com/hooks',
  eventTypes: ['call.*'],
  description: null,
  headers: {},
  filter: null,
  retryPolicy: { schedule: ['0s', '5s'], retryAllFailures: false },
  timeoutMs: 15000,
  maxConcurrency: 10,
  rateLimitPerSecond: null,
  ordering: 'none',
  signature: { scheme: 'standard' },
  payload: 'envelope',
};
const secret = { id: 'sec_1', sealed: 'v1:k:iv:tag:ct' };
const secret2 = { id: 'sec_2', sealed: 'v1:k:iv2:tag2:ct2' };

const created: SubscriptionEvent = { type: 'SubscriptionCreated', data: { ...ids, config, secret, createdAt: at } };
const paused: SubscriptionEvent = { type: 'SubscriptionPaused', data: { ...ids, pausedAt: at } };
const disabled: SubscriptionEvent = { type: 'SubscriptionDisabled', data: { ...ids, reason: 'gone', detail: '410 Gone', disabledAt: at } };
const deleted: SubscriptionEvent = { type: 'SubscriptionDeleted', data: { ...ids, deletedAt: at } };

const cmd = {
  create: { type: 'CreateSubscription', ...ids, at, config, secret } as SubscriptionCommand,
  update: (changes: Partial<SubscriptionConfig>) => ({ type: 'UpdateSubscription', ...ids, at: later, changes }) as SubscriptionCommand,
  pause: { type: 'PauseSubscription', ...ids, at: later } as SubscriptionCommand,
  resume: { type: 'ResumeSubscription', ...ids, at: later } as SubscriptionCommand,
  rotate: { type: 'RotateSecret', ...ids, at: later, secret: secret2, graceMs: 24 * 3600_000 } as SubscriptionCommand,
  disable: { type: 'DisableSubscription', ...ids, at: later, reason: 'operator', detail: null } as SubscriptionCommand,
  delete: { type: 'DeleteSubscription', ...ids, at: later } as SubscriptionCommand,
};

describe('subscription decider', () => {
  describe('create', () => {
    it('creates', () => given([]).when(cmd.create).then([created]));
    it('ignores the same creation twice', () => given([created]).when(cmd.create).then([]));
    it('refuses a different subscription under an existing id', () =>
      given([created]).when({ ...cmd.create, config: { ...config, url: 'https://other.example' } } as SubscriptionCommand).thenThrows('SUBSCRIPTION.ALREADY_EXISTS'));
  });

  describe('update', () => {
    it('records only what changes, with what it was', () =>
      given([created])
        .when(cmd.update({ url: 'https://example.com/v2', eventTypes: ['call.*'], timeoutMs: 5000 }))
        .then([
          {
            type: 'SubscriptionUpdated',
            data: { ...ids, changes: { url: 'https://example.com/v2', timeoutMs: 5000 }, previous: { url: config.url, timeoutMs: 15000 }, updatedAt: later },
          },
        ]));
    it('records nothing when nothing changes', () => given([created]).when(cmd.update({ eventTypes: ['call.*'] })).then([]));
    it('updates a paused or disabled subscription', () => {
      given([created, paused]).when(cmd.update({ description: 'x' })).then([
        { type: 'SubscriptionUpdated', data: { ...ids, changes: { description: 'x' }, previous: { description: null }, updatedAt: later } },
      ]);
      given([created, disabled]).when(cmd.update({ maxConcurrency: 2 })).then([
        { type: 'SubscriptionUpdated', data: { ...ids, changes: { maxConcurrency: 2 }, previous: { maxConcurrency: 10 }, updatedAt: later } },
      ]);
    });
    it('refuses a deleted subscription', () => given([created, deleted]).when(cmd.update({ url: 'https://x.example' })).thenThrows('SUBSCRIPTION.DELETED'));
    it('answers not found for a missing one', () => given([]).when(cmd.update({ url: 'https://x.example' })).thenThrows('SUBSCRIPTION.NOT_FOUND'));
  });

  describe('pause and resume', () => {
    it('pauses an active subscription', () => given([created]).when(cmd.pause).then([{ type: 'SubscriptionPaused', data: { ...ids, pausedAt: later } }]));
    it('ignores pausing twice', () => given([created, paused]).when(cmd.pause).then([]));
    it('refuses pausing a disabled subscription', () => given([created, disabled]).when(cmd.pause).thenThrows('SUBSCRIPTION.DISABLED'));
    it('refuses pausing a deleted subscription', () => given([created, deleted]).when(cmd.pause).thenThrows('SUBSCRIPTION.DELETED'));
    it('resumes a paused subscription', () =>
      given([created, paused]).when(cmd.resume).then([{ type: 'SubscriptionResumed', data: { ...ids, resumedAt: later, wasDisabled: false } }]));
    it('re-enables a disabled subscription', () =>
      given([created, disabled]).when(cmd.resume).then([{ type: 'SubscriptionResumed', data: { ...ids, resumedAt: later, wasDisabled: true } }]));
    it('ignores resuming an active subscription', () => given([created]).when(cmd.resume).then([]));
    it('refuses resuming a deleted subscription', () => given([created, deleted]).when(cmd.resume).thenThrows('SUBSCRIPTION.DELETED'));
  });

  describe('rotate secret', () => {
    const rotated: SubscriptionEvent = {
      type: 'SubscriptionSecretRotated',
      data: { ...ids, secret: secret2, previousSecretId: 'sec_1', previousValidUntil: '2026-01-02T01:00:00.000Z', rotatedAt: later },
    };
    it('rotates, keeping the previous secret for the grace period', () => given([created]).when(cmd.rotate).then([rotated]));
    it('ignores the same rotation twice', () => given([created, rotated]).when(cmd.rotate).then([]));
    it('refuses a deleted subscription', () => given([created, deleted]).when(cmd.rotate).thenThrows('SUBSCRIPTION.DELETED'));
    it('signs with both secrets during the grace period, then only the new one', () => {
      const state = fold(subscriptionDecider, [created, rotated]);
      if (state.status === 'absent') throw new Error('absent');
      expect(signingSecrets(state, '2026-01-01T02:00:00.000Z').map((s) => s.id)).toEqual(['sec_2', 'sec_1']);
      expect(signingSecrets(state, '2026-01-02T01:00:00.001Z').map((s) => s.id)).toEqual(['sec_2']);
    });
    it('drops secrets whose grace period ended at the next rotation', () => {
      const third = { id: 'sec_3', sealed: 'v1:k:3:3:3' };
      const again: SubscriptionEvent = {
        type: 'SubscriptionSecretRotated',
        data: { ...ids, secret: third, previousSecretId: 'sec_2', previousValidUntil: '2026-01-04T00:00:00.000Z', rotatedAt: '2026-01-03T00:00:00.000Z' },
      };
      const state = fold(subscriptionDecider, [created, rotated, again]);
      if (state.status === 'absent') throw new Error('absent');
      expect(state.secrets.map((s) => s.id)).toEqual(['sec_3', 'sec_2']);
    });
  });

  describe('disable and delete', () => {
    it('disables with a reason', () =>
      given([created]).when(cmd.disable).then([{ type: 'SubscriptionDisabled', data: { ...ids, reason: 'operator', detail: null, disabledAt: later } }]));
    it('disables a paused subscription', () =>
      given([created, paused]).when(cmd.disable).then([{ type: 'SubscriptionDisabled', data: { ...ids, reason: 'operator', detail: null, disabledAt: later } }]));
    it('ignores disabling twice', () => given([created, disabled]).when(cmd.disable).then([]));
    it('refuses disabling a deleted subscription', () => given([created, deleted]).when(cmd.disable).thenThrows('SUBSCRIPTION.DELETED'));
    it('deletes', () => given([created, disabled]).when(cmd.delete).then([{ type: 'SubscriptionDeleted', data: { ...ids, deletedAt: later } }]));
    it('ignores deleting twice', () => given([created, deleted]).when(cmd.delete).then([]));
    it('answers not found for a missing subscription', () => given([]).when(cmd.delete).thenThrows('SUBSCRIPTION.NOT_FOUND'));
  });

  it("answers not found for another tenant's subscription, for every command", () => {
    for (const command of [cmd.update({ url: 'https://x.example' }), cmd.pause, cmd.resume, cmd.rotate, cmd.disable, cmd.delete]) {
      given([created]).when({ ...command, tenantId: 'ten_2' }).thenThrows('SUBSCRIPTION.NOT_FOUND');
    }
  });
});
