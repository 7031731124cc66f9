import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Requires } from '../access/auth/access.decorators.js';
import { Ledger } from '../ledger/ledger.service.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import { notFound } from '../shared/domain/domain-error.js';
import { hasPrefix } from '../shared/domain/ids.js';
import { decodeCursor, encodeCursor } from '../shared/http/cursor.js';
import { ValidationProblem } from '../shared/http/problem.filter.js';
import { commandContext, Ctx, type RequestContext, tenantOf } from '../shared/http/request-context.js';
import { DeliveriesProjection, DeliveryLogRow } from './delivery-log/deliveries.projection.js';
import { ListDeliveriesQuery, ReplayDeliveryRequest } from './delivery-log/delivery-log.request.dto.js';
import { deliveryStream } from './domain/delivery.events.js';
import { ReplayDeliveryCommand } from './replay-delivery/replay-delivery.command.js';

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller('v1/deliveries')
export class DeliveriesHttpController {
  constructor(
    private readonly deliveries: DeliveriesProjection,
    private readonly ledger: Ledger,
    private readonly commands: CommandBus,
    private readonly runner: ProjectionRunner,
  ) {}

  @Get()
  @Requires('deliveries:read')
  @ApiOperation({ summary: 'The delivery log: newest first, filtered, with cursor pagination stable while deliveries arrive' })
  list(@Query() query: ListDeliveriesQuery, @Ctx() ctx: RequestContext) {
    const limit = query.limit ?? 50;
    const before = query.cursor === undefined ? undefined : parseCursor(query.cursor);
    const rows = this.deliveries.list(
      tenantOf(ctx),
      {
        ...(query.subscriptionId ? { subscriptionId: query.subscriptionId } : {}),
        ...(query.eventId ? { eventId: query.eventId } : {}),
        ...(query.eventType ? { eventType: query.eventType } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.from ? { from: new Date(query.from).toISOString() } : {}),
        ...(query.to ? { to: new Date(query.to).toISOString() } : {}),
        ...(before ? { before } : {}),
      },
      limit + 1,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { data: page.map(toLogEntry), nextCursor: rows.length > limit && last ? encodeCursor(`${last.seq}:${last.id}`) : null };
  }

  @Get(':id')
  @Requires('deliveries:read')
  @ApiOperation({ summary: 'A delivery with every attempt, read from its ledger stream' })
  async get(@Param('id') id: string, @Ctx() ctx: RequestContext) {
    const delivery = hasPrefix(id, 'dlv') ? this.deliveries.get(id) : undefined;
    if (!delivery || delivery.tenantId !== tenantOf(ctx)) throw notFound('DELIVERY.NOT_FOUND', `Delivery ${id} not found`);
    const history = [];
    for await (const stored of this.ledger.store.readStream(deliveryStream(id))) {
      const metadata = stored.metadata as { occurredAt: string; actor: unknown };
      history.push({ revision: stored.revision.toString(), type: stored.type, at: metadata.occurredAt, actor: metadata.actor, data: stored.data });
    }
    return {
      ...toLogEntry(this.deliveries.logEntry(id)!),
      attempts: history.filter((e) => e.type === 'AttemptMade').map((e) => e.data),
      history,
    };
  }

  @Post(':id/replay')
  @HttpCode(202)
  @Requires('deliveries:replay')
  @ApiOperation({ summary: 'One more attempt (trigger replay) with the same webhook-id and body, to the current URL; 409 while one is in flight or scheduled' })
  async replay(@Param('id') id: string, @Body() body: ReplayDeliveryRequest, @Ctx() ctx: RequestContext) {
    if (!hasPrefix(id, 'dlv')) throw notFound('DELIVERY.NOT_FOUND', `Delivery ${id} not found`);
    const context = { ...commandContext(ctx, new Date()), tenantId: tenantOf(ctx) };
    const { position } = await this.commands.execute(new ReplayDeliveryCommand(id, body.reason ?? null, null, context));
    await this.runner.waitFor(position);
    return { deliveryId: id, status: 'replay_requested' };
  }
}

function parseCursor(cursor: string): { seq: number; id: string } {
  const value = decodeCursor(cursor);
  const match = /^(\d{1,16}):(dlv_[0-9A-Z]{26})$/.exec(value);
  if (!match) throw new ValidationProblem([{ field: 'cursor', messages: ['cursor is not a cursor this API gave out'] }]);
  return { seq: Number(match[1]), id: match[2]! };
}

function toLogEntry(row: DeliveryLogRow) {
  return {
    id: row.id,
    status: row.status === 'scheduled' ? 'pending' : row.status,
    attempts: row.attempts,
    lastStatusCode: row.last_status,
    lastError: row.last_error,
    nextAttemptAt: row.due_at === null ? null : new Date(row.due_at).toISOString(),
    subscriptionId: row.subscription_id,
    eventId: row.event_id,
    eventType: row.event_type,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
