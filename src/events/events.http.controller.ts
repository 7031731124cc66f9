import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Response } from 'express';
import { Requires } from '../access/auth/access.decorators.js';
import { notFound } from '../shared/domain/domain-error.js';
import { problem } from '../shared/http/problem.js';
import { ValidationProblem } from '../shared/http/problem.filter.js';
import type { CommandContext } from '../ledger/ledger-context.js';
import { commandContext, Ctx, type RequestContext, tenantOf } from '../shared/http/request-context.js';
import { flattenValidationErrors } from '../shared/http/validation.js';
import { EventRow, EventsProjection, PublishedEvent } from './event-view/events.projection.js';
import { EventRoutingQuery } from './event-routing/event-routing.query.js';
import { ListEventsQuery } from './event-view/list-events.request.dto.js';
import { decodeCursor, encodeCursor } from '../shared/http/cursor.js';
import { EventInput, EventPublisher, Published } from './publish-event/event-publisher.js';
import { EVENT_ID, PublishBatchRequest, PublishedEventResponse, PublishEventRequest } from './publish-event/publish-event.request.dto.js';

@ApiTags('events')
@ApiBearerAuth()
@Controller('v1/events')
export class EventsHttpController {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly events: EventsProjection,
    private readonly routingQuery: EventRoutingQuery,
  ) {}

  @Post()
  @HttpCode(202)
  @Requires('events:publish')
  @ApiOperation({ summary: 'Publish an event; answered once EventCreated, with its fan-out, is durable' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Same as the body id' })
  @ApiAcceptedResponse({ type: PublishedEventResponse })
  async publish(
    @Body() body: PublishEventRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PublishedEventResponse> {
    const id = mergeId(body.id, idempotencyKey);
    const published = await this.publisher.publish(toInput(body, id), this.context(ctx));
    if (published.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return toResponse(published);
  }

  @Post('batch')
  @HttpCode(202)
  @Requires('events:publish')
  @ApiOperation({ summary: 'Publish up to 100 events; each is accepted or rejected on its own, results in order' })
  async publishBatch(@Body() body: PublishBatchRequest, @Ctx() ctx: RequestContext) {
    const context = this.context(ctx);
    const results = await Promise.all(
      body.events.map(async (item, index) => {
        const accepted = PublishEventRequest.accept(item);
        if (accepted) {
          const published = await this.publisher.publish(toInput(accepted, accepted.id), context);
          return { status: 202, replayed: published.replayed, event: toResponse(published) };
        }
        const request = plainToInstance(PublishEventRequest, item);
        const errors = typeof item === 'object' && item !== null && !Array.isArray(item)
          ? await validate(request, { whitelist: true, forbidNonWhitelisted: true })
          : null;
        if (errors === null || errors.length > 0) {
          const fields = errors === null ? [{ field: `events.${index}`, messages: ['must be an event object'] }] : flattenValidationErrors(errors, `events.${index}`);
          return { status: 400, error: { ...problem(400, 'Invalid event', { code: 'REQUEST.INVALID' }), errors: fields } };
        }
        const published = await this.publisher.publish(toInput(request, request.id), context);
        return { status: 202, replayed: published.replayed, event: toResponse(published) };
      }),
    );
    return { data: results };
  }

  @Get()
  @Requires('events:read')
  @ApiOperation({ summary: 'Published events, newest first, with cursor pagination' })
  async list(@Query() query: ListEventsQuery, @Ctx() ctx: RequestContext) {
    const limit = query.limit ?? 50;
    let before: number | undefined;
    if (query.cursor !== undefined) {
      before = Number(decodeCursor(query.cursor));
      if (!Number.isSafeInteger(before)) throw new ValidationProblem([{ field: 'cursor', messages: ['cursor is not a cursor this API gave out'] }]);
    }
    const rows = this.events.list(
      tenantOf(ctx),
      {
        ...(query.type ? { type: query.type } : {}),
        ...(query.from ? { from: new Date(query.from).toISOString() } : {}),
        ...(query.to ? { to: new Date(query.to).toISOString() } : {}),
        ...(before !== undefined ? { before } : {}),
      },
      limit + 1,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const data = await Promise.all(page.map(async (event) => toEventView(await this.events.withData(event))));
    return { data, nextCursor: rows.length > limit && last ? encodeCursor(String(last.position)) : null };
  }

  @Get(':id')
  @Requires('events:read')
  @ApiOperation({ summary: 'An event and its deliveries' })
  async get(@Param('id') id: string, @Ctx() ctx: RequestContext) {
    return toEventView(await this.events.withData(this.find(id, ctx)));
  }

  @Get(':id/routing')
  @Requires('events:read')
  @ApiOperation({ summary: 'For every subscription of the tenant: matched or not, and why, judged as the subscription stood at the event' })
  async routing(@Param('id') id: string, @Ctx() ctx: RequestContext) {
    return { data: await this.routingQuery.routing(await this.events.withData(this.find(id, ctx))) };
  }

  private find(id: string, ctx: RequestContext): EventRow {
    const event = EVENT_ID.test(id) ? this.events.get(tenantOf(ctx), id) : undefined;
    if (!event) throw notFound('EVENT.NOT_FOUND', `Event ${id} not found`);
    return event;
  }

  private context(ctx: RequestContext) {
    return commandContext(ctx, new Date(), tenantOf(ctx)) as CommandContext & { tenantId: string };
  }
}

function toEventView(event: PublishedEvent) {
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    orderingKey: event.orderingKey,
    createdAt: event.createdAt,
    deliveries: event.deliveries.map((d) => ({ id: d.deliveryId, subscriptionId: d.subscriptionId })),
  };
}

function mergeId(bodyId: string | undefined, header: string | undefined): string | undefined {
  if (header === undefined) return bodyId;
  if (!EVENT_ID.test(header)) {
    throw new ValidationProblem([{ field: 'Idempotency-Key', messages: ['Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 _ . : -'] }]);
  }
  if (bodyId !== undefined && bodyId !== header) {
    throw new ValidationProblem([{ field: 'id', messages: ['id and the Idempotency-Key header differ; send one, or the same in both'] }]);
  }
  return header;
}

function toInput(body: PublishEventRequest, id: string | undefined): EventInput {
  const input: EventInput = { type: body.type, data: body.data };
  if (id !== undefined) input.id = id;
  if (body.orderingKey !== undefined) input.orderingKey = body.orderingKey;
  return input;
}

function toResponse(published: Published): PublishedEventResponse {
  return { id: published.id, type: published.type, createdAt: published.createdAt, deliveries: published.deliveries };
}
