import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a service whose garbage is almost all per request and per attempt. Imported
 * first by the entry point, before anything else allocates, and read by V8 at each collection.
 *
 * - No allocation-site pretenuring. V8 decides to allocate an object literal straight in the old
 *   space once most objects made at that spot have outlived a scavenge, and does not go back on
 *   it. Under a burst (a start-up rebuild, a backlog) that is true of the request, event and
 *   attempt objects; afterwards each of them is made in the old space and dies there, and keeps
 *   the young strings and objects it points to alive through every scavenge until the next full
 *   collection. Measured: 3–5× the promotion, and a full collection every few seconds.
 * - The old space grows 2× its live size between full collections, instead of the factor V8
 *   derives from the mutator's speed: with little promoted it would otherwise collect a ~40 MB heap
 *   every two or three seconds, and each collection holds up a few hundred requests and attempts.
 *   It was 4× until the young generation doubled (`node-flags.ts`): with 32 MB semi-spaces less is
 *   promoted, and 2× keeps the peak RSS where it was (4× took the fan-out from ~375 to ~465 MB).
 */
export const GARBAGE_COLLECTOR_FLAGS = ['--no-allocation-site-pretenuring', '--heap-growing-percent=100'] as const;

function tuneGarbageCollector(): void {
  for (const flag of GARBAGE_COLLECTOR_FLAGS) setFlagsFromString(flag);
}

tuneGarbageCollector();
