// First: V8's collector settings, before the rest of the service is loaded and allocates.
import './shared/runtime/garbage-collector.js';
import { ConfigError, loadConfig } from './config/config.js';
import { startHookledger } from './app.js';
import { writeLogLine } from './shared/http/json-logger.js';
import { lowerHelperThreadPriority } from './shared/runtime/helper-threads.js';
import { missingServiceNodeFlags } from './shared/runtime/node-flags.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`hookledger: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // Before the service starts threads of its own: see helper-threads.ts.
  lowerHelperThreadPriority(config.helperThreadNice);
  const { app, url, stopAccepting, generatedRootKey } = await startHookledger(config);
  // Our own handler instead of enableShutdownHooks: it runs every shutdown hook, then exits 0.
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    writeLogLine({ time: new Date().toISOString(), level: 'info', msg: 'shutting down', signal });
    // Stop taking requests first; then attempts in flight finish and are recorded, then the stores close.
    stopAccepting();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`hookledger: shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (generatedRootKey) {
    // Printed once, on stderr and outside the structured log: only its hash is kept.
    process.stderr.write(
      [
        '',
        '  A root key was generated for this data directory. It is shown this once; only its hash is kept.',
        `    ${generatedRootKey}`,
        '  Create a tenant with it:',
        `    curl -X POST ${url}/v1/tenants -H "Authorization: Bearer <root key>" -H "Content-Type: application/json" -d '{"name":"acme"}'`,
        '  Set HOOKLEDGER_ROOT_KEY to use a key of your own instead.',
        '',
        '',
      ].join('\n'),
    );
  }
  writeLogLine({ time: new Date().toISOString(), level: 'info', msg: 'listening', url, store: config.eventStore });
  const missing = missingServiceNodeFlags();
  if (missing.length > 0) {
    // It runs as well without them, with more of the main thread spent collecting garbage under load.
    const msg = `started without the node options it ships with: node ${missing.join(' ')} dist/main.js`;
    writeLogLine({ time: new Date().toISOString(), level: 'warn', msg, missing });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`hookledger: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
