import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Requires } from '../access/auth/access.decorators.js';
import { notFound } from '../shared/domain/domain-error.js';
import { hasPrefix } from '../shared/domain/ids.js';
import { ValidationProblem } from '../shared/http/problem.filter.js';
import { commandContext, Ctx, type RequestContext, tenantOf } from '../shared/http/request-context.js';
import { JobKind } from './domain/job.events.js';
import { JobRow, JobsProjection } from './job-view/jobs.projection.js';
import { StartJobCommand } from './start-job/start-job.command.js';
import { BackfillRequest, BulkReplayRequest } from './start-job/start-job.request.dto.js';

@ApiTags('operator jobs')
@ApiBearerAuth()
@Controller('v1')
export class OperatorJobsHttpController {
  constructor(
    private readonly commands: CommandBus,
    private readonly jobs: JobsProjection,
  ) {}

  @Post('subscriptions/:id/replay')
  @HttpCode(202)
  @Requires('deliveries:replay')
  @ApiOperation({ summary: "Replay every delivery of the subscription in the window with the given final status (default failed), as a durable job; answers how many" })
  replay(@Param('id') id: string, @Body() body: BulkReplayRequest, @Ctx() ctx: RequestContext) {
    return this.start('replay', id, body, [...new Set(body.status ?? ['failed'])], ctx);
  }

  @Post('subscriptions/:id/backfill')
  @HttpCode(202)
  @Requires('deliveries:replay')
  @ApiOperation({ summary: 'Deliver past events in the window that match the subscription now but never went to it, as a durable job' })
  backfill(@Param('id') id: string, @Body() body: BackfillRequest, @Ctx() ctx: RequestContext) {
    return this.start('backfill', id, body, [], ctx);
  }

  @Get('jobs/:id')
  @Requires('deliveries:read')
  @ApiOperation({ summary: "A bulk replay or backfill job's progress" })
  get(@Param('id') id: string, @Ctx() ctx: RequestContext) {
    const job = hasPrefix(id, 'job') ? this.jobs.get(tenantOf(ctx), id) : undefined;
    if (!job) throw notFound('JOB.NOT_FOUND', `Job ${id} not found`);
    return toResponse(job);
  }

  private async start(kind: JobKind, subscriptionId: string, body: BackfillRequest, statuses: string[], ctx: RequestContext) {
    if (!hasPrefix(subscriptionId, 'sub')) throw notFound('SUBSCRIPTION.NOT_FOUND', `Subscription ${subscriptionId} not found`);
    const since = new Date(body.since).toISOString();
    const until = body.until ? new Date(body.until).toISOString() : null;
    if (until !== null && until <= since) throw new ValidationProblem([{ field: 'until', messages: ['until must be after since'] }]);
    const context = { ...commandContext(ctx, new Date()), tenantId: tenantOf(ctx) };
    const { jobId, total } = await this.commands.execute(new StartJobCommand(kind, subscriptionId, { since, until, statuses }, body.reason ?? null, context));
    return { jobId, kind, total };
  }
}

function toResponse(job: JobRow) {
  return {
    id: job.id,
    kind: job.kind,
    subscriptionId: job.subscription_id,
    status: job.status,
    total: job.total,
    done: job.done,
    applied: job.applied,
    skipped: job.skipped,
    createdAt: job.created_at,
    updatedAt: job.updated_at,
  };
}
