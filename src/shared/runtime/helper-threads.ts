import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { isMainThread } from 'node:worker_threads';

/** The lowest priority there is: nice 19. */
const LOWEST_PRIORITY = 19;

/**
 * Lowers the priority of every other thread the process has when it is called — at start-up, V8's
 * platform workers (the garbage collector's concurrent marking and parallel scavenging, background
 * compilation) and libuv's pool (file system calls, DNS) — `steps` nice steps below the main thread
 * (`HOOKLEDGER_HELPER_THREAD_NICE`, 10 by default; never past nice 19).
 * Threads started later, the ledger's writer among them, take the main thread's priority as usual.
 *
 * Why: on a small machine the collector's helpers take a core from the threads that answer
 * requests and commit appends just when they are needed, and a few hundred deliveries wait for
 * it. At a lower priority they run on what the service leaves idle, which under a steady load is
 * most of their work; when every thread wants the CPU, the request path goes first. Measured on
 * the benchmark's 2-core machine: see README, Performance. Ten steps rather than the lowest: the
 * main thread waits for the helpers that took part of a scavenge, and at 19 a starved one makes
 * that wait longer.
 *
 * Linux only (a thread's nice value is its own there); elsewhere, off the main thread, or with 0
 * steps, it changes nothing. Returns the ids of the threads changed.
 */
export function lowerHelperThreadPriority(steps: number): number[] {
  if (steps <= 0 || !isMainThread || process.platform !== 'linux') return [];
  let threads: number[];
  try {
    threads = readdirSync('/proc/self/task').map(Number);
  } catch {
    return [];
  }
  const nice = Math.min(LOWEST_PRIORITY, getPriority(process.pid) + steps);
  const changed: number[] = [];
  for (const thread of threads) {
    // The main thread's id is the process id.
    if (thread === process.pid) continue;
    try {
      setPriority(thread, nice);
      changed.push(thread);
    } catch {
      // Gone meanwhile, or not ours to change: it keeps its priority.
    }
  }
  return changed;
}
