import { assertNever, Decider } from '../../shared/domain/decider.js';
import { illegalState, notFound } from '../../shared/domain/domain-error.js';
import type {
  ConfigChanges,
  DisableReason,
  SealedSecret,
  SubscriptionConfig,
  SubscriptionEvent,
} from './subscription.events.js';

export type SubscriptionStatus = 'active' | 'paused' | 'disabled' | 'deleted';

export interface ActiveSecret extends SealedSecret {
  /** null for the current secret; the end of the grace period for a rotated-out one. */
  validUntil: string | null;
}

export type SubscriptionState =
  | { status: 'absent' }
  | {
      status: SubscriptionStatus;
      subscriptionId: string;
      tenantId: string;
      config: SubscriptionConfig;
      /** Current secret first, then rotated-out ones still inside their grace period. */
      secrets: ActiveSecret[];
      disabledReason: DisableReason | null;
      createdAt: string;
    };

type Target = { subscriptionId: string; tenantId: string; at: string };

export type SubscriptionCommand =
  | (Target & { type: 'CreateSubscription'; config: SubscriptionConfig; secret: SealedSecret })
  | (Target & { type: 'UpdateSubscription'; changes: ConfigChanges })
  | (Target & { type: 'PauseSubscription' })
  | (Target & { type: 'ResumeSubscription' })
  | (Target & { type: 'RotateSecret'; secret: SealedSecret; graceMs: number })
  | (Target & { type: 'DisableSubscription'; reason: DisableReason; detail: string | null })
  | (Target & { type: 'DeleteSubscription' });

type Existing = Exclude<SubscriptionState, { status: 'absent' }>;

function existing(command: SubscriptionCommand, state: SubscriptionState): Existing {
  // Another tenant's subscription is answered exactly like one that does not exist.
  if (state.status === 'absent' || state.tenantId !== command.tenantId) {
    throw notFound('SUBSCRIPTION.NOT_FOUND', `Subscription ${command.subscriptionId} not found`);
  }
  return state;
}

function notDeleted(command: SubscriptionCommand, state: SubscriptionState): Existing {
  const current = existing(command, state);
  if (current.status === 'deleted') {
    throw illegalState('SUBSCRIPTION.DELETED', `Subscription ${command.subscriptionId} was deleted; it cannot change`);
  }
  return current;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Only the fields whose value really changes, with what they were. */
function diff(config: SubscriptionConfig, changes: ConfigChanges): { changes: ConfigChanges; previous: ConfigChanges } {
  const changed: Record<string, unknown> = {};
  const previous: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(changes) as Array<[keyof SubscriptionConfig, unknown]>) {
    if (value === undefined || sameValue(config[field], value)) continue;
    changed[field] = value;
    previous[field] = config[field];
  }
  return { changes: changed as ConfigChanges, previous: previous as ConfigChanges };
}

export const subscriptionDecider: Decider<SubscriptionState, SubscriptionCommand, SubscriptionEvent> = {
  initialState: () => ({ status: 'absent' }),

  evolve(state, event) {
    if (event.type === 'SubscriptionCreated') {
      const { subscriptionId, tenantId, config, secret, createdAt } = event.data;
      return {
        status: 'active',
        subscriptionId,
        tenantId,
        config,
        secrets: [{ ...secret, validUntil: null }],
        disabledReason: null,
        createdAt,
      };
    }
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'SubscriptionUpdated':
        return { ...state, config: { ...state.config, ...event.data.changes } };
      case 'SubscriptionPaused':
        return { ...state, status: 'paused' };
      case 'SubscriptionResumed':
        return { ...state, status: 'active', disabledReason: null };
      case 'SubscriptionSecretRotated': {
        const { secret, previousSecretId, previousValidUntil, rotatedAt } = event.data;
        const kept = state.secrets
          .map((s) => (s.id === previousSecretId ? { ...s, validUntil: previousValidUntil } : s))
          .filter((s) => s.validUntil !== null && s.validUntil > rotatedAt);
        return { ...state, secrets: [{ ...secret, validUntil: null }, ...kept] };
      }
      case 'SubscriptionDisabled':
        return { ...state, status: 'disabled', disabledReason: event.data.reason };
      case 'SubscriptionDeleted':
        return { ...state, status: 'deleted' };
      default:
        return assertNever(event);
    }
  },

  decide(command, state) {
    const ids = { subscriptionId: command.subscriptionId, tenantId: command.tenantId };
    switch (command.type) {
      case 'CreateSubscription': {
        if (state.status !== 'absent') {
          if (state.tenantId === command.tenantId && sameValue(state.config, command.config)) return [];
          throw illegalState('SUBSCRIPTION.ALREADY_EXISTS', `Subscription ${command.subscriptionId} already exists`);
        }
        return [{ type: 'SubscriptionCreated', data: { ...ids, config: command.config, secret: command.secret, createdAt: command.at } }];
      }
      case 'UpdateSubscription': {
        const current = notDeleted(command, state);
        const { changes, previous } = diff(current.config, command.changes);
        if (Object.keys(changes).length === 0) return [];
        return [{ type: 'SubscriptionUpdated', data: { ...ids, changes, previous, updatedAt: command.at } }];
      }
      case 'PauseSubscription': {
        const current = notDeleted(command, state);
        if (current.status === 'paused') return [];
        if (current.status === 'disabled') {
          throw illegalState('SUBSCRIPTION.DISABLED', `Subscription ${command.subscriptionId} is disabled; resume it to enable it again`);
        }
        return [{ type: 'SubscriptionPaused', data: { ...ids, pausedAt: command.at } }];
      }
      case 'ResumeSubscription': {
        const current = notDeleted(command, state);
        if (current.status === 'active') return [];
        return [{ type: 'SubscriptionResumed', data: { ...ids, resumedAt: command.at, wasDisabled: current.status === 'disabled' } }];
      }
      case 'RotateSecret': {
        const current = notDeleted(command, state);
        if (current.secrets.some((s) => s.id === command.secret.id)) return [];
        const previousValidUntil = new Date(Date.parse(command.at) + command.graceMs).toISOString();
        return [
          {
            type: 'SubscriptionSecretRotated',
            data: { ...ids, secret: command.secret, previousSecretId: current.secrets[0]!.id, previousValidUntil, rotatedAt: command.at },
          },
        ];
      }
      case 'DisableSubscription': {
        const current = notDeleted(command, state);
        if (current.status === 'disabled') return [];
        return [{ type: 'SubscriptionDisabled', data: { ...ids, reason: command.reason, detail: command.detail, disabledAt: command.at } }];
      }
      case 'DeleteSubscription': {
        const current = existing(command, state);
        if (current.status === 'deleted') return [];
        return [{ type: 'SubscriptionDeleted', data: { ...ids, deletedAt: command.at } }];
      }
      default:
        return assertNever(command);
    }
  },
};

/** Secrets that sign a request sent at `at`: the current one and those still in their grace period. */
export function signingSecrets(state: Existing, at: string): ActiveSecret[] {
  return state.secrets.filter((s) => s.validUntil === null || s.validUntil > at);
}
