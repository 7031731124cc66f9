import { describe, it } from 'vitest';
import { specFor } from '../../../test/support/given-when-then.js';
import { JobCommand, jobDecider } from './job.decider.js';
import { JobEvent } from './job.events.js';

const given = specFor(jobDecider);
const ids = { jobId: 'job_1', tenantId: 'ten_1' };
const window = { since: '2026-01-01T00:00:00.000Z', until: null, statuses: ['failed'] };
const at = '2026-01-02T00:00:00.000Z';
const start: JobCommand = { type: 'StartJob', ...ids, kind: 'replay', subscriptionId: 'sub_1', window, reason: null, scope: ['a', 'b', 'c'], at };
const started: JobEvent = { type: 'JobStarted', data: { ...ids, kind: 'replay', subscriptionId: 'sub_1', window, reason: null, total: 3, startedAt: at } };
const scoped: JobEvent = { type: 'JobScoped', data: { ...ids, ids: ['a', 'b', 'c'] } };
const progressed = (done: number): JobEvent => ({ type: 'JobProgressed', data: { ...ids, done, applied: done, skipped: 0 } });

describe('job decider', () => {
  it('starts with its scope frozen', () => given([]).when(start).then([started, scoped]));
  it('splits a large scope into chunks', () => {
    const scope = Array.from({ length: 2500 }, (_, i) => `d${i}`);
    given([]).when({ ...start, scope } as JobCommand).then([
      { type: 'JobStarted', data: { ...ids, kind: 'replay', subscriptionId: 'sub_1', window, reason: null, total: 2500, startedAt: at } },
      { type: 'JobScoped', data: { ...ids, ids: scope.slice(0, 1000) } },
      { type: 'JobScoped', data: { ...ids, ids: scope.slice(1000, 2000) } },
      { type: 'JobScoped', data: { ...ids, ids: scope.slice(2000) } },
    ]);
  });
  it('ignores a second start', () => given([started, scoped]).when(start).then([]));
  it('records progress forward only', () => {
    given([started, scoped]).when({ type: 'RecordProgress', ...ids, done: 2, applied: 2, skipped: 0 }).then([progressed(2)]);
    given([started, scoped, progressed(2)]).when({ type: 'RecordProgress', ...ids, done: 1, applied: 1, skipped: 0 }).then([]);
  });
  it('refuses progress on a job that is not running', () =>
    given([]).when({ type: 'RecordProgress', ...ids, done: 1, applied: 1, skipped: 0 }).thenThrows('JOB.NOT_RUNNING'));
  it('completes once, with the counts it reached', () => {
    given([started, scoped, progressed(3)]).when({ type: 'CompleteJob', ...ids, at }).then([
      { type: 'JobCompleted', data: { ...ids, applied: 3, skipped: 0, completedAt: at } },
    ]);
    given([started, scoped, progressed(3), { type: 'JobCompleted', data: { ...ids, applied: 3, skipped: 0, completedAt: at } }])
      .when({ type: 'CompleteJob', ...ids, at })
      .then([]);
  });
});
