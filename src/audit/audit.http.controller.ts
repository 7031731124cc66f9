import { Controller, Get, Logger, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Requires } from '../access/auth/access.decorators.js';
import { decodeCursor, encodeCursor } from '../shared/http/cursor.js';
import { ValidationProblem } from '../shared/http/problem.filter.js';
import { Ctx, type RequestContext, tenantOf } from '../shared/http/request-context.js';
import type { AuditEntry } from './audit-trail/audit-entry.js';
import { AuditTrailProjection } from './audit-trail/audit-trail.projection.js';
import { AuditTrailQuery } from './audit-trail/audit-trail.request.dto.js';
import { LedgerExportQuery } from './ledger-export/ledger-export.query.js';
import { LedgerVerifyQuery, type VerifyResult } from './ledger-verify/ledger-verify.query.js';
import { timeWindow, TimeWindowQuery } from './time-window.js';

const CURSOR_PREFIX = 'pos';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1')
export class AuditHttpController {
  private readonly logger = new Logger('Audit');

  constructor(
    private readonly trail: AuditTrailProjection,
    private readonly exporter: LedgerExportQuery,
    private readonly verifier: LedgerVerifyQuery,
  ) {}

  @Get('audit')
  @Requires('audit:read')
  @ApiOperation({ summary: 'Every command a key (or the root key) issued in the tenant, newest first, with cursor pagination' })
  async list(@Query() query: AuditTrailQuery, @Ctx() ctx: RequestContext): Promise<{ data: AuditEntry[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const before = query.cursor === undefined ? undefined : positionOf(query.cursor);
    const filter = { ...timeWindow(query), ...(query.actor ? { actor: query.actor } : {}), ...(before !== undefined ? { before } : {}) };
    const { entries, more } = await this.trail.list(tenantOf(ctx), filter, limit);
    const last = entries[entries.length - 1];
    return { data: entries, nextCursor: more && last ? encodeCursor(`${CURSOR_PREFIX}_${last.position}`) : null };
  }

  @Get('ledger')
  @Requires('audit:read')
  @ApiOperation({ summary: "The tenant's raw ledger events as NDJSON, in ledger order, secrets stripped (export)" })
  @ApiProduces('application/x-ndjson')
  async export(@Query() query: TimeWindowQuery, @Ctx() ctx: RequestContext, @Res() res: Response): Promise<void> {
    const tenantId = tenantOf(ctx);
    const window = timeWindow(query);
    res.status(200).setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    try {
      await this.exporter.write(tenantId, window, res);
    } catch (error) {
      // Before the first line the problem filter can still answer; after it, only a cut stream says it failed.
      if (!res.headersSent) throw error;
      this.logger.error({ msg: 'ledger export failed part-way', requestId: ctx.requestId, error: (error as Error).message });
      res.destroy(error as Error);
      return;
    }
    // A client that went away ended the export early; there is nothing left to end.
    if (!res.destroyed) res.end();
  }

  @Get('ledger/verify')
  @Requires('audit:read')
  @ApiOperation({ summary: "Checks the tamper-evidence chain of the tenant's streams; names the first broken link" })
  @ApiOkResponse({ schema: { example: { ok: false, stream: 'subscription-sub_…', revision: '2', problem: 'altered', detail: '…' } } })
  verify(@Ctx() ctx: RequestContext): Promise<VerifyResult> {
    return this.verifier.verify(tenantOf(ctx));
  }
}

function positionOf(cursor: string): bigint {
  const digits = decodeCursor(cursor, CURSOR_PREFIX).slice(CURSOR_PREFIX.length + 1);
  if (!/^\d{1,19}$/.test(digits)) throw new ValidationProblem([{ field: 'cursor', messages: ['cursor is not a cursor this API gave out'] }]);
  return BigInt(digits);
}
