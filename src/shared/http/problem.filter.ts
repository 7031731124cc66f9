import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { EventStoreUnavailableError, WrongExpectedRevisionError } from '../../event-store/event-store.port.js';
import { ReadModelsUnavailableError } from '../../projections/projection-runner.js';
import { DomainError, ErrorCategory } from '../domain/domain-error.js';
import { FieldError, problem, Problem, sendProblem } from './problem.js';
import type { HookledgerRequest } from './request-context.js';

const STATUS: Record<ErrorCategory, number> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  illegal_state: 409,
  conflict: 409,
};

/** Carries field errors out of the validation pipe. */
export class ValidationProblem extends Error {
  constructor(readonly errors: FieldError[]) {
    super('The request body or query is invalid');
  }
}

/** The one place errors become HTTP answers (RFC 9457). Internals never leak into a 5xx. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<HookledgerRequest>();
    const res = host.switchToHttp().getResponse<Response>();
    const body = { ...this.toProblem(error, req), instance: req.originalUrl?.split('?')[0], requestId: req.context?.requestId };
    if (body.status >= 500) {
      this.logger.error({
        msg: 'request failed',
        requestId: req.context?.requestId,
        error: error instanceof Error ? error.message : String(error),
        errorName: error instanceof Error ? error.name : typeof error,
        stack: error instanceof Error ? error.stack : undefined,
      });
    }
    if (body.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    sendProblem(res, body);
  }

  private toProblem(error: unknown, req: HookledgerRequest): Problem {
    if (error instanceof ValidationProblem) {
      const fields = error.errors.map((e) => e.field).join(', ');
      return problem(400, `Invalid request: ${fields}`, { code: 'REQUEST.INVALID', errors: error.errors });
    }
    if (error instanceof DomainError) return problem(STATUS[error.category], error.message, { code: error.code });
    if (error instanceof WrongExpectedRevisionError) {
      return problem(409, 'The resource was changed concurrently; retry the request', { code: 'LEDGER.CONFLICT' });
    }
    if (error instanceof ReadModelsUnavailableError) {
      return problem(503, 'The change is recorded in the ledger, but the views cannot show it yet. Retry the read later.', { code: 'READ_MODELS.UNAVAILABLE' });
    }
    if (error instanceof EventStoreUnavailableError) {
      return problem(503, 'The ledger is unavailable; nothing was recorded. Retry later.', { code: 'LEDGER.UNAVAILABLE' });
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      if (status === 404) return problem(404, `No route for ${req.method} ${req.originalUrl?.split('?')[0]}`, { code: 'ROUTE.NOT_FOUND' });
      const response = error.getResponse();
      const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
      return problem(status, Array.isArray(message) ? message.join('; ') : String(message ?? error.message));
    }
    return problem(500, 'An internal error occurred; it was logged with the request id', { code: 'INTERNAL' });
  }
}
