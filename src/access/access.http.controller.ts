import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { notFound } from '../shared/domain/domain-error.js';
import { hasPrefix } from '../shared/domain/ids.js';
import { NoBody } from '../shared/http/no-body.pipe.js';
import { commandContext, Ctx, type RequestContext, tenantOf } from '../shared/http/request-context.js';
import { AccessProjection, ApiKeyRow } from './access-view/access.projection.js';
import { Requires, RootOnly } from './auth/access.decorators.js';
import { CreateTenantCommand } from './create-tenant/create-tenant.command.js';
import { CreateTenantRequest, TenantResponse } from './create-tenant/create-tenant.request.dto.js';
import { IssueApiKeyCommand } from './issue-api-key/issue-api-key.command.js';
import { ApiKeyResponse, IssuedApiKeyResponse, IssueApiKeyRequest } from './issue-api-key/issue-api-key.request.dto.js';
import { RevokeApiKeyCommand } from './revoke-api-key/revoke-api-key.command.js';

@ApiTags('tenants')
@ApiBearerAuth()
@Controller('v1/tenants')
export class TenantsHttpController {
  constructor(
    private readonly commands: CommandBus,
    private readonly access: AccessProjection,
  ) {}

  @Post()
  @RootOnly()
  @ApiOperation({ summary: 'Create a tenant (root key)' })
  @ApiCreatedResponse({ type: TenantResponse })
  create(@Body() body: CreateTenantRequest, @Ctx() ctx: RequestContext): Promise<TenantResponse> {
    return this.commands.execute(new CreateTenantCommand(body.name.trim(), commandContext(ctx, new Date())));
  }

  @Get()
  @RootOnly()
  @ApiOperation({ summary: 'List tenants (root key)' })
  @ApiOkResponse({ type: [TenantResponse] })
  list(): { data: TenantResponse[] } {
    return { data: this.access.listTenants().map((t) => ({ id: t.id, name: t.name, createdAt: t.created_at })) };
  }
}

@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('v1/api-keys')
export class ApiKeysHttpController {
  constructor(
    private readonly commands: CommandBus,
    private readonly access: AccessProjection,
  ) {}

  @Post()
  @Requires('keys:manage')
  @ApiOperation({ summary: 'Issue an API key; the key is shown once' })
  @ApiCreatedResponse({ type: IssuedApiKeyResponse })
  issue(@Body() body: IssueApiKeyRequest, @Ctx() ctx: RequestContext): Promise<IssuedApiKeyResponse> {
    const tenantId = tenantOf(ctx, body.tenantId);
    // A tenant admin naming another tenant learns nothing: it is answered like a missing tenant.
    if (body.tenantId !== undefined && body.tenantId !== tenantId) {
      throw notFound('TENANT.NOT_FOUND', `Tenant ${body.tenantId} not found`);
    }
    return this.commands.execute(
      new IssueApiKeyCommand(body.name.trim(), body.role, { ...commandContext(ctx, new Date()), tenantId }),
    );
  }

  @Get()
  @Requires('keys:read')
  @ApiOperation({ summary: "List the tenant's API keys (never the keys themselves)" })
  @ApiOkResponse({ type: [ApiKeyResponse] })
  list(@Ctx() ctx: RequestContext): { data: ApiKeyResponse[] } {
    return { data: this.access.listKeys(tenantOf(ctx)).map(toResponse) };
  }

  @Delete(':id')
  @HttpCode(204)
  @Requires('keys:manage')
  @ApiOperation({ summary: 'Revoke an API key; takes effect on the next request' })
  @ApiNoContentResponse()
  async revoke(@Param('id') id: string, @NoBody() _body: undefined, @Ctx() ctx: RequestContext): Promise<void> {
    const tenantId = tenantOf(ctx);
    if (!hasPrefix(id, 'key')) throw notFound('API_KEY.NOT_FOUND', `API key ${id} not found`);
    await this.commands.execute(new RevokeApiKeyCommand(id, { ...commandContext(ctx, new Date()), tenantId }));
  }
}

function toResponse(row: ApiKeyRow): ApiKeyResponse {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    tenantId: row.tenant_id,
    status: row.revoked_at ? 'revoked' : 'active',
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
