import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { loadRootKey } from './access/auth/root-key.js';
import { AppDependencies, AppModule } from './app.module.js';
import type { Config } from './config/config.js';
import { createEventStore } from './event-store/create-event-store.js';
import { openReadModelDatabase } from './event-store/read-model.database.js';
import { MetricsService } from './operations/metrics.service.js';
import { loadMasterKey, SecretBox } from './shared/crypto/secret-box.js';
import { PrototypedExpressAdapter } from './shared/http/express-adapter.js';
import { jsonBody, requestContext } from './shared/http/http-middleware.js';
import { JsonLogger } from './shared/http/json-logger.js';
import { ProblemFilter } from './shared/http/problem.filter.js';
import { problem, sendProblem } from './shared/http/problem.js';
import { validationPipe } from './shared/http/validation.js';
import { VERSION } from './version.js';

export interface StartedApp {
  app: INestApplication;
  url: string;
  /** Stops taking requests: the listener closes, and requests on open connections get 503. */
  stopAccepting(): void;
  /** The root key, only on the start that generated it. */
  generatedRootKey?: string;
}

export const READ_MODEL_FILE = 'read-model.db';

/** Everything the modules need, opened from the configuration. */
export async function openDependencies(config: Config, readModelFile = READ_MODEL_FILE): Promise<AppDependencies> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const rootKey = loadRootKey(config.dataDir, config.rootKey);
  const secretBox = new SecretBox(loadMasterKey(config.dataDir, config.masterKey));
  const store = await createEventStore(config);
  const logger = new JsonLogger(config.logLevel);
  const { db: readModel, rebuiltBecause } = openReadModelDatabase(join(config.dataDir, readModelFile), {
    onWritebackError: (error) => logger.warn({ msg: 'could not write the read models back to disk ahead of the kernel', error: error.message }, 'ReadModel'),
  });
  if (rebuiltBecause) logger.warn({ msg: 'read models deleted; they are rebuilt from the ledger', reason: rebuiltBecause }, 'ReadModel');
  return { config, store, readModel, rootKey, secretBox };
}

/** Opens the stores, wires the HTTP shell and starts listening. */
export async function startHookledger(config: Config): Promise<StartedApp> {
  const deps = await openDependencies(config);
  const { rootKey } = deps;
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(deps), new PrototypedExpressAdapter(), {
    bodyParser: false,
    logger: new JsonLogger(config.logLevel),
  });
  app.disable('x-powered-by');
  app.set('etag', false);
  let accepting = true;
  app.use((_req: Request, res: Response, next: NextFunction) => {
    if (accepting) return next();
    res.setHeader('Connection', 'close');
    sendProblem(res, problem(503, 'The service is shutting down; retry on another instance', { code: 'SERVICE.SHUTTING_DOWN' }));
  });
  app.use(requestContext(app.get(MetricsService)));
  app.use(jsonBody(config.maxPayloadBytes));
  app.useGlobalPipes(validationPipe());
  app.useGlobalFilters(new ProblemFilter());
  setUpDocs(app);

  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  const stopAccepting = () => {
    accepting = false;
    const server = app.getHttpServer() as Server;
    server.close();
    server.closeIdleConnections();
  };
  return { app, url, stopAccepting, ...(rootKey.generated ? { generatedRootKey: rootKey.generated } : {}) };
}

function setUpDocs(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('hookledger')
      .setDescription('Event-sourced webhook delivery ledger. Errors are application/problem+json (RFC 9457).')
      .setVersion(VERSION)
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
