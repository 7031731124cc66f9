import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Ledger } from '../../ledger/ledger.service.js';
import { ProjectionRunner } from '../../projections/projection-runner.js';
import { newId } from '../../shared/crypto/random-ids.js';
import { tenantStream } from '../domain/access.events.js';
import { tenantDecider } from '../domain/tenant.decider.js';
import { CreatedTenant, CreateTenantCommand } from './create-tenant.command.js';

@CommandHandler(CreateTenantCommand)
export class CreateTenantHandler implements ICommandHandler<CreateTenantCommand> {
  constructor(
    private readonly ledger: Ledger,
    private readonly projections: ProjectionRunner,
  ) {}

  async execute({ name, context }: CreateTenantCommand): Promise<CreatedTenant> {
    const tenantId = newId('ten', context.now.getTime());
    const createdAt = context.now.toISOString();
    const result = await this.ledger.decide(
      tenantStream(tenantId),
      tenantDecider,
      { type: 'CreateTenant', tenantId, name, at: createdAt },
      { ...context, tenantId },
    );
    await this.projections.waitFor(result.position);
    return { id: tenantId, name, createdAt };
  }
}
