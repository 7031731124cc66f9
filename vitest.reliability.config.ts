import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

/** `npm run test:reliability`: the crash, fault, shutdown, fuzzing, SSRF, hostile-receiver and secrets suites (issue 6). */
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Each suite drives a service process hard; on 2 cores they would starve each other's timeouts.
    fileParallelism: false,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
