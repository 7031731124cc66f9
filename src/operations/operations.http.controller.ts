import { Controller, Get, Header, Inject, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '../access/auth/access.decorators.js';
import { CONFIG, type Config } from '../config/config.js';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import { unauthenticated } from '../shared/domain/domain-error.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('operations')
@Controller()
@Public()
export class OperationsHttpController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CONFIG) private readonly config: Config,
    private readonly runner: ProjectionRunner,
    private readonly metrics: MetricsService,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  health() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the event store answers and the read models are caught up' })
  @ApiOkResponse({ schema: { example: { status: 'ready', eventStore: 'ok', projections: { status: 'live' } } } })
  @ApiServiceUnavailableResponse()
  async ready(@Res() res: Response) {
    const store = await this.store.ping().then(
      () => 'ok',
      (error: Error) => `unreachable: ${error.message}`,
    );
    const projections = {
      status: this.runner.status,
      checkpoint: this.runner.checkpoint.toString(),
      ...(this.runner.lastError && this.runner.status !== 'live' ? { lastError: this.runner.lastError } : {}),
    };
    const ready = store === 'ok' && this.runner.caughtUp;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', eventStore: store, projections });
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics (Bearer HOOKLEDGER_METRICS_TOKEN when configured)' })
  async prometheus(@Req() req: Request): Promise<string> {
    const token = this.config.metricsToken;
    if (token) {
      const presented = Buffer.from(req.header('authorization') ?? '');
      const expected = Buffer.from(`Bearer ${token}`);
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
        throw unauthenticated('AUTH.METRICS_TOKEN', 'Metrics need Authorization: Bearer <HOOKLEDGER_METRICS_TOKEN>');
      }
    }
    return this.metrics.registry.metrics();
  }
}
