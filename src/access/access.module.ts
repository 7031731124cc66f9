import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { AccessProjection } from './access-view/access.projection.js';
import { ApiKeysHttpController, TenantsHttpController } from './access.http.controller.js';
import { ApiKeyGuard } from './auth/api-key.guard.js';
import { CreateTenantHandler } from './create-tenant/create-tenant.handler.js';
import { IssueApiKeyHandler } from './issue-api-key/issue-api-key.handler.js';
import { RevokeApiKeyHandler } from './revoke-api-key/revoke-api-key.handler.js';

@Module({
  imports: [CqrsModule],
  controllers: [TenantsHttpController, ApiKeysHttpController],
  providers: [
    AccessProjection,
    CreateTenantHandler,
    IssueApiKeyHandler,
    RevokeApiKeyHandler,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
  ],
  exports: [AccessProjection],
})
export class AccessModule {}
