import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Ledger } from '../../ledger/ledger.service.js';
import { ProjectionRunner } from '../../projections/projection-runner.js';
import { apiKeyStream } from '../domain/access.events.js';
import { apiKeyDecider } from '../domain/api-key.decider.js';
import { RevokeApiKeyCommand } from './revoke-api-key.command.js';

@CommandHandler(RevokeApiKeyCommand)
export class RevokeApiKeyHandler implements ICommandHandler<RevokeApiKeyCommand> {
  constructor(
    private readonly ledger: Ledger,
    private readonly projections: ProjectionRunner,
  ) {}

  /** Answers only once the key view has the revocation, so the very next request is refused. */
  async execute({ keyId, context }: RevokeApiKeyCommand): Promise<void> {
    const result = await this.ledger.decide(
      apiKeyStream(keyId),
      apiKeyDecider,
      { type: 'RevokeApiKey', keyId, tenantId: context.tenantId, at: context.now.toISOString() },
      context,
    );
    await this.projections.waitFor(result.position);
  }
}
