import { assertNever, Decider } from '../../shared/domain/decider.js';
import { illegalState } from '../../shared/domain/domain-error.js';
import { JobEvent, JobKind, JobWindow, SCOPE_CHUNK } from './job.events.js';

export type JobState =
  | { status: 'absent' }
  | {
      status: 'running' | 'completed';
      jobId: string;
      tenantId: string;
      kind: JobKind;
      subscriptionId: string;
      reason: string | null;
      scope: string[];
      done: number;
      applied: number;
      skipped: number;
    };

type Ids = { jobId: string; tenantId: string };

export type JobCommand =
  | (Ids & { type: 'StartJob'; kind: JobKind; subscriptionId: string; window: JobWindow; reason: string | null; scope: string[]; at: string })
  | (Ids & { type: 'RecordProgress'; done: number; applied: number; skipped: number })
  | (Ids & { type: 'CompleteJob'; at: string });

export const jobDecider: Decider<JobState, JobCommand, JobEvent> = {
  initialState: () => ({ status: 'absent' }),

  evolve(state, event) {
    switch (event.type) {
      case 'JobStarted': {
        const { jobId, tenantId, kind, subscriptionId, reason } = event.data;
        return { status: 'running', jobId, tenantId, kind, subscriptionId, reason, scope: [], done: 0, applied: 0, skipped: 0 };
      }
      case 'JobScoped':
        return state.status === 'absent' ? state : { ...state, scope: [...state.scope, ...event.data.ids] };
      case 'JobProgressed':
        return state.status === 'absent' ? state : { ...state, done: event.data.done, applied: event.data.applied, skipped: event.data.skipped };
      case 'JobCompleted':
        return state.status === 'absent' ? state : { ...state, status: 'completed', done: state.scope.length, applied: event.data.applied, skipped: event.data.skipped };
      default:
        return assertNever(event);
    }
  },

  decide(command, state) {
    const ids = { jobId: command.jobId, tenantId: command.tenantId };
    switch (command.type) {
      case 'StartJob': {
        if (state.status !== 'absent') return [];
        const { kind, subscriptionId, window, reason, scope, at } = command;
        const chunks: JobEvent[] = [];
        for (let i = 0; i < scope.length; i += SCOPE_CHUNK) chunks.push({ type: 'JobScoped', data: { ...ids, ids: scope.slice(i, i + SCOPE_CHUNK) } });
        return [{ type: 'JobStarted', data: { ...ids, kind, subscriptionId, window, reason, total: scope.length, startedAt: at } }, ...chunks];
      }
      case 'RecordProgress':
        if (state.status !== 'running') throw illegalState('JOB.NOT_RUNNING', `Job ${command.jobId} is not running`);
        if (command.done <= state.done) return [];
        return [{ type: 'JobProgressed', data: { ...ids, done: command.done, applied: command.applied, skipped: command.skipped } }];
      case 'CompleteJob':
        if (state.status !== 'running') return [];
        return [{ type: 'JobCompleted', data: { ...ids, applied: state.applied, skipped: state.skipped, completedAt: command.at } }];
      default:
        return assertNever(command);
    }
  },
};
