import { Command } from '@nestjs/cqrs';
import type { CommandContext } from '../../ledger/ledger-context.js';

export class RevokeApiKeyCommand extends Command<void> {
  constructor(
    readonly keyId: string,
    readonly context: CommandContext & { tenantId: string },
  ) {
    super();
  }
}
