import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { GARBAGE_COLLECTOR_FLAGS, WORKER_YOUNG_GENERATION_FLAG } from './garbage-collector.js';
import { SERVICE_NODE_FLAGS } from './node-flags.js';

describe('garbage collector settings', () => {
  // setFlagsFromString ignores a flag V8 does not know: the node binary that runs us must know each one.
  it.each(GARBAGE_COLLECTOR_FLAGS)('%s is a flag this V8 knows', (flag) => {
    const run = spawnSync(process.execPath, [flag, '-e', '0'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  /** Started with the service's node options: the young generation of the main thread and of a worker limited to 8 MB. */
  const youngGenerations = (reset: boolean): { main: number; worker: number } => {
    const program = `
      const { setFlagsFromString, getHeapSpaceStatistics } = require('node:v8');
      const { Worker } = require('node:worker_threads');
      ${reset ? `setFlagsFromString(${JSON.stringify(WORKER_YOUNG_GENERATION_FLAG)});` : ''}
      const newSpace = 'require("node:v8").getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size';
      const churn = 'let k = []; for (let i = 0; i < 4e6; i++) { k.push({ i, s: "x" + i }); if (k.length > 4000) k = []; }';
      const worker = new Worker(churn + '; require("node:worker_threads").parentPort.postMessage(' + newSpace + ')', {
        eval: true,
        resourceLimits: { maxYoungGenerationSizeMb: 8 },
      });
      worker.once('message', (size) => {
        eval(churn);
        console.log(JSON.stringify({ main: eval(newSpace), worker: size }));
      });`;
    const run = spawnSync(process.execPath, [...SERVICE_NODE_FLAGS, '-e', program], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    return JSON.parse(run.stdout) as { main: number; worker: number };
  };

  it("leaves a worker thread the young generation its resourceLimits give it, and the main thread the service's", () => {
    const MB = 1024 * 1024;
    // Without the reset, the service's option overrides the worker's limit.
    expect(youngGenerations(false).worker).toBeGreaterThanOrEqual(32 * MB);
    const reset = youngGenerations(true);
    expect(reset.worker).toBeLessThanOrEqual(8 * MB);
    expect(reset.main).toBeGreaterThanOrEqual(32 * MB);
  });
});
