import { NestFactory } from '@nestjs/core';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDependencies, READ_MODEL_FILE } from '../app.js';
import { AppModule } from '../app.module.js';
import { ConfigError, loadConfig } from '../config/config.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import { JsonLogger, writeLogLine } from '../shared/http/json-logger.js';

const REBUILD_FILE = 'read-model.rebuild.db';

function removeDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
}

/**
 * `npm run projections:rebuild`: replays the whole ledger into a fresh read-model file beside the
 * current one and swaps it in only when it has caught up. Run it with the service stopped (its
 * views would otherwise keep moving under the swap); with no worker role nothing is sent.
 */
async function main(): Promise<void> {
  const config = { ...loadConfig(process.env), roles: [] };
  const target = join(config.dataDir, REBUILD_FILE);
  removeDatabase(target);
  const started = Date.now();
  const deps = await openDependencies(config, REBUILD_FILE);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(deps), { logger: new JsonLogger(config.logLevel) });
  await app.init();
  const runner = app.get(ProjectionRunner);
  await runner.whenCaughtUp();
  const checkpoint = runner.checkpoint;
  await app.close();
  const live = join(config.dataDir, READ_MODEL_FILE);
  if (existsSync(live)) removeDatabase(live);
  renameSync(target, live);
  writeLogLine({ msg: 'read models rebuilt', checkpoint: checkpoint.toString(), seconds: (Date.now() - started) / 1000 });
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`hookledger: rebuild failed: ${message}\n`);
  process.exit(1);
});
