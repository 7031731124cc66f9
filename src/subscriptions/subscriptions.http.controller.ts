import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Requires } from '../access/auth/access.decorators.js';
import { CONFIG, type Config } from '../config/config.js';
import { notFound } from '../shared/domain/domain-error.js';
import { hasPrefix } from '../shared/domain/ids.js';
import { decodeCursor, encodeCursor } from '../shared/http/cursor.js';
import { NoBody } from '../shared/http/no-body.pipe.js';
import { commandContext, Ctx, type RequestContext, tenantOf } from '../shared/http/request-context.js';
import { ChangeSubscriptionStatusCommand, StatusChange } from './change-subscription-status/change-subscription-status.command.js';
import { CreateSubscriptionCommand } from './create-subscription/create-subscription.command.js';
import { CreateSubscriptionRequest } from './create-subscription/create-subscription.request.dto.js';
import { RotateSecretCommand } from './rotate-secret/rotate-secret.command.js';
import { RotateSecretRequest } from './rotate-secret/rotate-secret.request.dto.js';
import { HistoryEntry, historyEntry } from './subscription-history/subscription-history.js';
import { toChanges, toConfig, toResponse } from './subscription-mapping.js';
import { SubscriptionStore } from './subscription-store.js';
import { ListSubscriptionsQuery, SubscriptionPage, SubscriptionResponse, SubscriptionWithSecretResponse } from './subscription.dto.js';
import { SubscriptionsProjection } from './subscription-view/subscriptions.projection.js';
import { UpdateSubscriptionCommand } from './update-subscription/update-subscription.command.js';
import { UpdateSubscriptionRequest } from './update-subscription/update-subscription.request.dto.js';
import { Ledger } from '../ledger/ledger.service.js';
import { subscriptionStream } from './domain/subscription.events.js';
import { SendTestEventCommand } from '../events/send-test-event/send-test-event.command.js';

@ApiTags('subscriptions')
@ApiBearerAuth()
@Controller('v1/subscriptions')
export class SubscriptionsHttpController {
  constructor(
    private readonly commands: CommandBus,
    private readonly view: SubscriptionsProjection,
    private readonly store: SubscriptionStore,
    private readonly ledger: Ledger,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Post()
  @Requires('subscriptions:write')
  @ApiOperation({ summary: 'Create a subscription; the answer holds its signing secret' })
  @ApiCreatedResponse({ type: SubscriptionWithSecretResponse })
  async create(@Body() body: CreateSubscriptionRequest, @Ctx() ctx: RequestContext): Promise<SubscriptionWithSecretResponse> {
    const config = toConfig(body, this.config.allowInsecureUrls);
    const { subscription, secret } = await this.commands.execute(
      new CreateSubscriptionCommand(config, body.secret, this.context(ctx)),
    );
    return { ...toResponse(subscription), secret: secret! };
  }

  @Get()
  @Requires('subscriptions:read')
  @ApiOperation({ summary: 'List subscriptions, oldest first, with cursor pagination' })
  @ApiOkResponse({ type: SubscriptionPage })
  list(@Query() query: ListSubscriptionsQuery, @Ctx() ctx: RequestContext): SubscriptionPage {
    const limit = query.limit ?? 50;
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, 'sub');
    const rows = this.view.list(tenantOf(ctx), { status: query.status, after, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return { data: page.map(toResponse), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : null };
  }

  @Get(':id')
  @Requires('subscriptions:read')
  @ApiOperation({ summary: 'Get a subscription (never its secret)' })
  @ApiOkResponse({ type: SubscriptionResponse })
  get(@Param('id') id: string, @Ctx() ctx: RequestContext): SubscriptionResponse {
    return toResponse(this.store.found(this.view.get(tenantOf(ctx), this.checkId(id)) ?? null, id));
  }

  @Patch(':id')
  @Requires('subscriptions:write')
  @ApiOperation({ summary: 'Change a subscription; null clears description, filter and rateLimitPerSecond' })
  @ApiOkResponse({ type: SubscriptionResponse })
  async update(@Param('id') id: string, @Body() body: UpdateSubscriptionRequest, @Ctx() ctx: RequestContext): Promise<SubscriptionResponse> {
    const changes = toChanges(body, this.config.allowInsecureUrls);
    const { subscription } = await this.commands.execute(new UpdateSubscriptionCommand(this.checkId(id), changes, this.context(ctx)));
    return toResponse(subscription);
  }

  @Delete(':id')
  @HttpCode(204)
  @Requires('subscriptions:write')
  @ApiOperation({ summary: 'Delete (disconnect) a subscription; its pending retries are cancelled' })
  @ApiNoContentResponse()
  async remove(@Param('id') id: string, @NoBody() _body: undefined, @Ctx() ctx: RequestContext): Promise<void> {
    await this.changeStatus(id, 'delete', ctx);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @Requires('subscriptions:operate')
  @ApiOperation({ summary: 'Pause: deliveries are held and sent on resume' })
  @ApiOkResponse({ type: SubscriptionResponse })
  pause(@Param('id') id: string, @NoBody() _body: undefined, @Ctx() ctx: RequestContext) {
    return this.changeStatus(id, 'pause', ctx);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @Requires('subscriptions:operate')
  @ApiOperation({ summary: 'Resume a paused subscription, or enable a disabled one again' })
  @ApiOkResponse({ type: SubscriptionResponse })
  resume(@Param('id') id: string, @NoBody() _body: undefined, @Ctx() ctx: RequestContext) {
    return this.changeStatus(id, 'resume', ctx);
  }

  @Post(':id/disable')
  @HttpCode(200)
  @Requires('subscriptions:operate')
  @ApiOperation({ summary: 'Disable: nothing is sent, pending retries are cancelled (reason operator)' })
  @ApiOkResponse({ type: SubscriptionResponse })
  disable(@Param('id') id: string, @NoBody() _body: undefined, @Ctx() ctx: RequestContext) {
    return this.changeStatus(id, 'disable', ctx);
  }

  @Post(':id/test')
  @HttpCode(202)
  @Requires('subscriptions:operate')
  @ApiOperation({ summary: 'Send a webhook.test event to this subscription; its attempt is recorded with trigger test' })
  async test(@Param('id') id: string, @NoBody() _body: undefined, @Ctx() ctx: RequestContext) {
    const published = await this.commands.execute(new SendTestEventCommand(this.checkId(id), this.context(ctx)));
    return { eventId: published.id, deliveryId: published.deliveries[0]!.id };
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @Requires('subscriptions:write')
  @ApiOperation({ summary: 'Rotate the signing secret; the previous one keeps signing for the grace period' })
  @ApiOkResponse({ type: SubscriptionWithSecretResponse })
  async rotate(@Param('id') id: string, @Body() body: RotateSecretRequest, @Ctx() ctx: RequestContext): Promise<SubscriptionWithSecretResponse> {
    const { subscription, secret } = await this.commands.execute(
      new RotateSecretCommand(this.checkId(id), body.secret, this.config.secretGraceMs, this.context(ctx)),
    );
    return { ...toResponse(subscription), secret: secret! };
  }

  @Get(':id/secret')
  @Requires('subscriptions:secret')
  @ApiOperation({ summary: 'The current signing secret (admin)' })
  @ApiOkResponse({ schema: { example: { secret: 'whsec_…', secretId: 'sec_…' } } })
  async secret(@Param('id') id: string, @Ctx() ctx: RequestContext): Promise<{ secret: string; secretId: string }> {
    const { state } = await this.store.load(this.checkId(id));
    if (state.status === 'absent' || state.status === 'deleted' || state.tenantId !== tenantOf(ctx)) {
      throw notFound('SUBSCRIPTION.NOT_FOUND', `Subscription ${id} not found`);
    }
    const current = state.secrets[0]!;
    return { secret: this.store.openSecret(current), secretId: current.id };
  }

  @Get(':id/history')
  @Requires('subscriptions:read')
  @ApiOperation({ summary: 'Every change to the subscription, read from the ledger: what, who, when' })
  async history(@Param('id') id: string, @Ctx() ctx: RequestContext): Promise<{ data: HistoryEntry[] }> {
    const tenantId = tenantOf(ctx);
    const entries: HistoryEntry[] = [];
    for await (const stored of this.ledger.store.readStream(subscriptionStream(this.checkId(id)))) {
      if ((stored.data as { tenantId?: string }).tenantId !== tenantId) break;
      entries.push(historyEntry(stored));
    }
    if (entries.length === 0) throw notFound('SUBSCRIPTION.NOT_FOUND', `Subscription ${id} not found`);
    return { data: entries };
  }

  private async changeStatus(id: string, change: StatusChange, ctx: RequestContext): Promise<SubscriptionResponse | void> {
    const row = await this.commands.execute(new ChangeSubscriptionStatusCommand(this.checkId(id), change, this.context(ctx)));
    return row ? toResponse(row) : undefined;
  }

  private context(ctx: RequestContext) {
    return { ...commandContext(ctx, new Date()), tenantId: tenantOf(ctx) };
  }

  private checkId(id: string): string {
    if (!hasPrefix(id, 'sub')) throw notFound('SUBSCRIPTION.NOT_FOUND', `Subscription ${id} not found`);
    return id;
  }
}
