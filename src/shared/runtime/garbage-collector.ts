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
 * - The old space grows by half its live size between full collections, instead of the factor
 *   V8 derives from the mutator's speed. It was 4× while the young generation was V8's default
 *   (V8's own factor collected a ~40 MB heap every two or three seconds, and each collection held
 *   up a few hundred requests and attempts). With 32 MB semi-spaces (`node-flags.ts`) far less is
 *   promoted, so the old space fills slowly: collected at 1.5× it costs no more collector time
 *   than at 2× or 4× and keeps the peak RSS down. Measured on the benchmark's 2-core machine, 60 s
 *   of fan-out or (2b), against 16 MB semi-spaces and 4×: the main thread's collector time 6.0–6.6
 *   → 4.2–4.8 s, peak RSS 410–432 → 386–392 MB, a full collection every ~1.4 s instead of ~4.5 s
 *   (at most ~80 MB of old space against ~170); 2× kept the time and peaked at 414 MB.
 */
export const GARBAGE_COLLECTOR_FLAGS = ['--no-allocation-site-pretenuring', '--heap-growing-percent=50'] as const;

/**
 * Undoes `--max-semi-space-size` (`node-flags.ts`) for the isolates made after this runs: the
 * worker threads'. V8 reads that flag for every isolate it creates, and it overrides a worker's
 * own `resourceLimits`, so the sending and writer threads, started with an 8 MB young generation,
 * had 32 MB semi-spaces like the main thread: 70–84 MB of heap each for 4–15 MB alive (`--trace-gc`
 * in a 40 s fan-out). The main thread's heap exists before any of our code runs and keeps its size.
 */
export const WORKER_YOUNG_GENERATION_FLAG = '--max-semi-space-size=0';

function tuneGarbageCollector(): void {
  for (const flag of GARBAGE_COLLECTOR_FLAGS) setFlagsFromString(flag);
  setFlagsFromString(WORKER_YOUNG_GENERATION_FLAG);
}

tuneGarbageCollector();
