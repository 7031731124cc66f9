import type { DomainEvent } from '../../shared/domain/decider.js';

/** Bulk operator work that must survive a restart: replay a window of deliveries, or backfill a window of events. */
export type JobKind = 'replay' | 'backfill';

export interface JobWindow {
  since: string;
  until: string | null;
  /** Replay only: the final statuses picked. */
  statuses: string[];
}

interface Ids {
  jobId: string;
  tenantId: string;
}

export type JobStarted = DomainEvent<
  'JobStarted',
  Ids & { kind: JobKind; subscriptionId: string; window: JobWindow; reason: string | null; total: number; startedAt: string }
>;
/** The job's scope, frozen at its start; large scopes take several of these in the same append. */
export type JobScoped = DomainEvent<'JobScoped', Ids & { ids: string[] }>;
export type JobProgressed = DomainEvent<'JobProgressed', Ids & { done: number; applied: number; skipped: number }>;
export type JobCompleted = DomainEvent<'JobCompleted', Ids & { applied: number; skipped: number; completedAt: string }>;

export type JobEvent = JobStarted | JobScoped | JobProgressed | JobCompleted;

export const JOB_EVENT_TYPES: ReadonlySet<string> = new Set<JobEvent['type']>(['JobStarted', 'JobScoped', 'JobProgressed', 'JobCompleted']);

export const jobStream = (jobId: string) => `job-${jobId}`;

export const SCOPE_CHUNK = 1000;
