import type { Response } from 'express';

export interface FieldError {
  field: string;
  messages: string[];
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(status: number, detail: string, extra: Partial<Problem> = {}): Problem {
  return {
    type: extra.code ? `urn:hookledger:problem:${extra.code.toLowerCase()}` : 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...extra,
  };
}

/** Writes an RFC 9457 problem document. */
export function sendProblem(res: Response, body: Problem): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(body.status).setHeader('Content-Type', PROBLEM_CONTENT_TYPE).end(JSON.stringify(body));
}
