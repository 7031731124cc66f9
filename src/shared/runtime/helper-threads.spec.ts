import { spawnSync } from 'node:child_process';
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { threadPriorities } from '../../../test/support/service-process.js';
import { lowerHelperThreadPriority } from './helper-threads.js';

/** This process's threads other than the main one, by id, with their nice values. */
function helpers(): Map<number, number> {
  return new Map(threadPriorities(process.pid).filter((thread) => thread.id !== process.pid).map((thread) => [thread.id, thread.nice]));
}

describe.runIf(process.platform === 'linux')('helper threads at a lower priority', () => {
  it('lowers every other thread of the process, leaves the main thread, and threads started later take the main thread’s priority', async () => {
    // Vitest runs this file in a child process of its own (pool: forks): these are its threads, and only its.
    const main = getPriority(process.pid);
    const before = [...helpers().keys()];
    expect(before.length).toBeGreaterThanOrEqual(4);

    // No steps: nothing changes.
    expect(lowerHelperThreadPriority(0)).toEqual([]);
    for (const thread of before) expect(helpers().get(thread)).toBe(main);

    const changed = lowerHelperThreadPriority(10);

    expect(changed.sort()).toEqual([...before].sort());
    const expected = Math.min(19, main + 10);
    for (const thread of before) expect(helpers().get(thread)).toBe(expected);
    expect(getPriority(process.pid)).toBe(main);

    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await new Promise((resolve) => worker.once('online', resolve));
    try {
      const started = [...helpers()].filter(([thread]) => !before.includes(thread));
      expect(started.length).toBeGreaterThanOrEqual(1);
      for (const [, nice] of started) expect(nice).toBe(main);
    } finally {
      await worker.terminate();
    }
  });

  it('counts the steps from the process’s own priority, and never goes past the lowest', () => {
    // A process started already lowered (`nice -n` adds to the caller's own): 5 more → helpers 10 below that;
    // 15 more → helpers at 19, not past it.
    const script = `
      import { lowerHelperThreadPriority } from './dist/shared/runtime/helper-threads.js';
      import { readdirSync, readFileSync } from 'node:fs';
      const nice = (t) => { const s = readFileSync('/proc/self/task/' + t + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16]); };
      const changed = lowerHelperThreadPriority(10);
      const others = readdirSync('/proc/self/task').map(Number).filter((t) => t !== process.pid);
      console.log(JSON.stringify({ main: nice(process.pid), changed: changed.length, others: others.map(nice) }));
    `;
    const own = getPriority(process.pid);
    for (const more of [5, 15]) {
      const run = spawnSync('nice', ['-n', String(more), process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      const seen = JSON.parse(run.stdout) as { main: number; changed: number; others: number[] };
      expect(seen.main).toBe(Math.min(19, own + more));
      expect(seen.changed).toBe(seen.others.length);
      expect(seen.others).toEqual(seen.others.map(() => Math.min(19, seen.main + 10)));
    }
  });

  it('changes nothing when called off the main thread', async () => {
    const before = helpers();
    const worker = new Worker(
      `import('${new URL('../../../dist/shared/runtime/helper-threads.js', import.meta.url).href}').then((m) => require('node:worker_threads').parentPort.postMessage(m.lowerHelperThreadPriority(10)))`,
      { eval: true },
    );
    const changed = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
    await worker.terminate();
    expect(changed).toEqual([]);
    const after = helpers();
    for (const [thread, nice] of before) if (after.has(thread)) expect(after.get(thread)).toBe(nice);
  });
});
