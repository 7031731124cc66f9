import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { missingServiceNodeFlags, SERVICE_NODE_FLAGS } from './node-flags.js';

const fromRoot = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe('the node options the service is started with', () => {
  it.each(SERVICE_NODE_FLAGS)('%s is an option this node takes', (flag) => {
    const run = spawnSync(process.execPath, [flag, '-e', '0'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('are the ones npm start, npm run start:prod and the Dockerfile start it with', () => {
    const command = `node ${SERVICE_NODE_FLAGS.join(' ')} dist/main.js`;
    const scripts = (JSON.parse(fromRoot('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toBe(`npm run build && ${command}`);
    expect(scripts['start:prod']).toBe(command);
    const cmd = /^CMD (.+)$/m.exec(fromRoot('Dockerfile'))?.[1];
    expect(cmd && (JSON.parse(cmd) as string[]).join(' ')).toBe(command);
  });

  it('names those a process was started without', () => {
    expect(missingServiceNodeFlags([])).toEqual([...SERVICE_NODE_FLAGS]);
    expect(missingServiceNodeFlags(['--inspect', ...SERVICE_NODE_FLAGS])).toEqual([]);
    expect(missingServiceNodeFlags(['--max-semi-space-size=16'])).toEqual([...SERVICE_NODE_FLAGS]);
  });
});
