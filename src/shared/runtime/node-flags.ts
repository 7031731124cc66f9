/**
 * Node options the service is started with: `npm start`, `npm run start:prod`, the Dockerfile, the
 * benchmark and the end-to-end tests all put them before `dist/main.js` (a test holds them to this
 * list). They cannot be set from inside, as the collector's other settings are
 * (`garbage-collector.ts`): V8 sizes the young generation when it creates the heap.
 *
 * - Semi-spaces of 32 MB instead of 16: the main thread allocates ~200 MB/s at full load
 *   (requests, events, attempts), and what is alive at a scavenge is mostly the same few MB of
 *   work in progress whenever it runs, so half as many scavenges copy about half as much. The old
 *   space is collected sooner to pay for the memory (`garbage-collector.ts`, where the figures are).
 *   For the main thread only: V8 would give the worker threads the same, over their own limits, and
 *   `garbage-collector.ts` resets it for them once the main thread's heap exists.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=32'] as const;

/** The service's options that this process was started without. */
export function missingServiceNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return SERVICE_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
