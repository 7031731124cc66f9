import { assertNever, Decider } from '../../shared/domain/decider.js';
import { notFound } from '../../shared/domain/domain-error.js';
import type { EventStreamEvent, FanOut } from './event.events.js';

/** An event's stream after publishing: only deliveries can be added to it, each subscription once. */
export type EventState = { status: 'absent' } | { status: 'published'; tenantId: string; subscriptionIds: string[] };

export type EventCommand = {
  type: 'AddDelivery';
  eventId: string;
  tenantId: string;
  delivery: FanOut;
  jobId: string;
  at: string;
};

export const eventDecider: Decider<EventState, EventCommand, EventStreamEvent> = {
  initialState: () => ({ status: 'absent' }),

  evolve(state, event) {
    switch (event.type) {
      case 'EventCreated':
        return { status: 'published', tenantId: event.data.tenantId, subscriptionIds: event.data.deliveries.map((d) => d.subscriptionId) };
      case 'DeliveriesAdded':
        return state.status === 'absent' ? state : { ...state, subscriptionIds: [...state.subscriptionIds, ...event.data.deliveries.map((d) => d.subscriptionId)] };
      default:
        return assertNever(event);
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'AddDelivery':
        if (state.status === 'absent' || state.tenantId !== command.tenantId) throw notFound('EVENT.NOT_FOUND', `Event ${command.eventId} not found`);
        // No duplicate fan-out, however often a backfill runs.
        if (state.subscriptionIds.includes(command.delivery.subscriptionId)) return [];
        return [
          {
            type: 'DeliveriesAdded',
            data: { eventId: command.eventId, tenantId: command.tenantId, deliveries: [command.delivery], reason: 'backfill', jobId: command.jobId, addedAt: command.at },
          },
        ];
      default:
        return assertNever(command.type);
    }
  },
};
