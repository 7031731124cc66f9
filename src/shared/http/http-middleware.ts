import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { MetricsService } from '../../operations/metrics.service.js';
import { problem, sendProblem } from './problem.js';
import type { HookledgerRequest } from './request-context.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Gives every request an id (the caller's `X-Request-Id` when it is sane) and logs it when done. */
export function requestContext(metrics: MetricsService): (req: Request, res: Response, next: NextFunction) => void {
  const logger = new Logger('HTTP');
  return (req, res, next) => {
    const header = req.header('x-request-id');
    const requestId = header && REQUEST_ID.test(header) ? header : randomUUID();
    (req as HookledgerRequest).context = { requestId };
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const principal = (req as HookledgerRequest).context.principal;
      const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      metrics.httpRequests.inc({ method: req.method, route, status: res.statusCode });
      metrics.httpDuration.observe({ method: req.method, route }, durationSeconds);
      logger.log({
        msg: 'request',
        requestId,
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        durationMs: Math.round(durationSeconds * 1e6) / 1000,
        keyId: principal?.kind === 'api_key' ? principal.keyId : principal?.kind,
      });
    });
    next();
  };
}

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json(?:\s*;.*)?$/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });
/**
 * Deeper bodies are refused: the DTO transformation and validation recurse once per level and
 * overflow the stack a few thousand levels down, which a 256 KiB body easily reaches.
 */
const MAX_JSON_DEPTH = 100;

/**
 * Reads and parses JSON bodies ourselves instead of body-parser, so that every failure is a
 * problem+json: 413 past the limit (checked on Content-Length first, then while reading),
 * 415 for another content type, 400 for invalid UTF-8 or JSON, and 400 for JSON we will not
 * read (see `structureProblem`).
 */
export function jsonBody(limitBytes: number): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const length = req.headers['content-length'];
    const hasBody = (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody) {
      req.body = WITH_BODY.has(req.method) ? {} : undefined;
      return next();
    }
    const fail = (status: number, detail: string, code: string) => {
      res.setHeader('Connection', 'close');
      sendProblem(res, { ...problem(status, detail, { code }), requestId: (req as HookledgerRequest).context?.requestId });
    };
    if (length !== undefined && Number(length) > limitBytes) {
      req.resume();
      return fail(413, `The body is ${length} bytes; the limit is ${limitBytes}`, 'REQUEST.TOO_LARGE');
    }
    if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) {
      req.resume();
      return fail(415, 'The body must be JSON with Content-Type: application/json', 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limitBytes) {
        done = true;
        req.resume();
        return fail(413, `The body is over the limit of ${limitBytes} bytes`, 'REQUEST.TOO_LARGE');
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      done = true;
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      let text: string;
      try {
        text = utf8.decode(Buffer.concat(chunks));
      } catch {
        return fail(400, 'The body is not valid UTF-8', 'REQUEST.INVALID_ENCODING');
      }
      try {
        req.body = text.trim() === '' ? {} : JSON.parse(text);
      } catch (error) {
        return fail(400, `The body is not valid JSON: ${(error as Error).message}`, 'REQUEST.INVALID_JSON');
      }
      const refused = structureProblem(text);
      if (refused) return fail(400, refused.detail, refused.code);
      next();
    });
  };
}

interface Level {
  /** Keys seen so far in this object (a list while short: see `KEY_LIST_MAX`); null for an array. */
  keys: string[] | Set<string> | null;
  /** Where the reader is at this level: the last key, or the array index. */
  at: string | number;
}

/**
 * What JSON.parse accepts but a reader must not: nesting past MAX_JSON_DEPTH, a key repeated in
 * one object (parsers disagree on which one wins, and JSON.parse silently keeps the last), and
 * a `__proto__` key (a prototype-pollution vector for any code that merges or copies the body).
 * Runs on text JSON.parse has accepted, so strings are well formed and a string followed by `:`
 * is a key.
 */
export function structureProblem(text: string): { code: string; detail: string } | null {
  const levels: Level[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') {
      if (levels.length === MAX_JSON_DEPTH) return { code: 'REQUEST.TOO_DEEP', detail: `The body nests deeper than ${MAX_JSON_DEPTH} levels` };
      levels.push(c === '{' ? { keys: [], at: '' } : { keys: null, at: 0 });
    } else if (c === '}' || c === ']') {
      levels.pop();
    } else if (c === ',') {
      const level = levels[levels.length - 1];
      if (level?.keys === null) level.at = (level.at as number) + 1;
    } else if (c === '"') {
      const end = closingQuote(text, i + 1);
      const level = levels[levels.length - 1];
      if (level?.keys && nextNonSpace(text, end + 1) === ':') {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        level.at = key;
        if (key === '__proto__') return { code: 'REQUEST.FORBIDDEN_KEY', detail: `The body holds a "__proto__" key (at ${jsonPath(levels)})` };
        if (!addKey(level, key)) {
          return { code: 'REQUEST.DUPLICATE_KEY', detail: `The body repeats a key within one object (at ${jsonPath(levels)})` };
        }
      }
      i = end;
    }
  }
  return null;
}

/**
 * An object's keys are kept in a list up to this many, then in a set: most objects of a body have a
 * handful of keys, and a set for each (a batch of a hundred events holds hundreds of objects) costs
 * more to make than a short list costs to search.
 */
const KEY_LIST_MAX = 16;

/** Adds the key to its object's; false when the object already has it. */
function addKey(level: Level, key: string): boolean {
  const keys = level.keys!;
  if (Array.isArray(keys)) {
    if (keys.includes(key)) return false;
    if (keys.length < KEY_LIST_MAX) keys.push(key);
    else level.keys = new Set(keys).add(key);
    return true;
  }
  if (keys.has(key)) return false;
  keys.add(key);
  return true;
}

/** The quote that ends the string whose contents start at `from`: found by `indexOf`, skipping escaped ones. */
function closingQuote(text: string, from: number): number {
  for (let end = text.indexOf('"', from); ; end = text.indexOf('"', end + 1)) {
    if (end < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === 92) backslashes++;
    if (backslashes % 2 === 0) return end;
  }
}

function nextNonSpace(text: string, from: number): string | undefined {
  let i = from;
  while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r') i++;
  return text[i];
}

/** `$.events[2].data.name`, each key cut to 64 characters so a hostile key cannot bloat the answer. */
function jsonPath(levels: Level[]): string {
  return '$' + levels.map(({ at }) => (typeof at === 'number' ? `[${at}]` : `.${JSON.stringify(at.slice(0, 64)).slice(1, -1)}`)).join('');
}
