import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomBytes } from 'node:crypto';
import { Ledger } from '../../ledger/ledger.service.js';
import { ProjectionRunner } from '../../projections/projection-runner.js';
import { prefixedId } from '../../shared/domain/ids.js';
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
    const tenantId = prefixedId('ten', context.now.getTime(), randomBytes(10));
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
