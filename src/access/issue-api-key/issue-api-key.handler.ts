import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Ledger } from '../../ledger/ledger.service.js';
import { ProjectionRunner } from '../../projections/projection-runner.js';
import { notFound } from '../../shared/domain/domain-error.js';
import { generateApiKey } from '../auth/key-material.js';
import { apiKeyStream, tenantStream } from '../domain/access.events.js';
import { apiKeyDecider } from '../domain/api-key.decider.js';
import { tenantDecider } from '../domain/tenant.decider.js';
import { IssueApiKeyCommand, IssuedApiKey } from './issue-api-key.command.js';

@CommandHandler(IssueApiKeyCommand)
export class IssueApiKeyHandler implements ICommandHandler<IssueApiKeyCommand> {
  constructor(
    private readonly ledger: Ledger,
    private readonly projections: ProjectionRunner,
  ) {}

  async execute({ name, role, context }: IssueApiKeyCommand): Promise<IssuedApiKey> {
    const tenantId = context.tenantId;
    const tenant = await this.ledger.load(tenantStream(tenantId), tenantDecider);
    if (tenant.state.status === 'absent') throw notFound('TENANT.NOT_FOUND', `Tenant ${tenantId} not found`);

    const { keyId, key, keyHash } = generateApiKey(context.now);
    const createdAt = context.now.toISOString();
    const result = await this.ledger.decide(
      apiKeyStream(keyId),
      apiKeyDecider,
      { type: 'IssueApiKey', keyId, tenantId, name, role, keyHash, at: createdAt },
      context,
    );
    await this.projections.waitFor(result.position);
    return { id: keyId, key, name, role, tenantId, createdAt };
  }
}
