import { Agent, errors, request, type Dispatcher } from 'undici';
import type { ErrorClass } from '../domain/retry-policy.js';
import { createGuardedConnector, parseAllowList, type LookupAll } from './ssrf-guard.js';

export interface HttpSenderOptions {
  allowedNetworks: string[];
  userAgent: string;
  lookup?: LookupAll;
  /** Connections per origin; unlimited when absent (concurrency is limited per subscription upstream). */
  connections?: number;
}

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export type SendResult =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: string; durationMs: number }
  | { kind: 'error'; errorClass: ErrorClass; message: string; durationMs: number };

/** SPEC §5: read up to 64 KiB, so a small answer leaves the connection reusable; a bigger one is cut off. */
const READ_LIMIT = 65_536;
const RECORD_LIMIT = 4_096;
const RECORDED_HEADERS = ['content-type', 'retry-after', 'location', 'content-length'];

/**
 * One POST per call through a single keep-alive agent whose every connection passes the SSRF guard.
 * Redirects are not followed: undici 7's `request` only follows through the redirect interceptor, which is not installed.
 */
export class HttpSender {
  private readonly agent: Agent;

  constructor(private readonly options: HttpSenderOptions) {
    this.agent = new Agent({
      connect: createGuardedConnector(parseAllowList(options.allowedNetworks), { lookup: options.lookup }),
      pipelining: 1,
      ...(options.connections === undefined ? {} : { connections: options.connections }),
    });
  }

  async send(attempt: SendRequest): Promise<SendResult> {
    const started = performance.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), attempt.timeoutMs);
    // undici only notices an abort once a connection is up; the race bounds DNS and connect as well.
    const deadline = new Promise<never>((_, fail) => controller.signal.addEventListener('abort', () => fail(controller.signal.reason), { once: true }));
    try {
      const response = await Promise.race([this.exchange(attempt, controller.signal), deadline]);
      return { kind: 'response', ...response, durationMs: elapsedMs(started) };
    } catch (error) {
      const errorClass = classifyTransportError(error, controller.signal.aborted);
      const message = errorClass === 'timeout' ? `no complete response within ${attempt.timeoutMs} ms` : safeMessage(error);
      return { kind: 'error', errorClass, message, durationMs: elapsedMs(started) };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  /** Aborts every request still running: used at shutdown once the grace period is over. */
  destroy(): Promise<void> {
    return this.agent.destroy();
  }

  private async exchange(attempt: SendRequest, signal: AbortSignal) {
    const response = await request(attempt.url, {
      dispatcher: this.agent,
      method: 'POST',
      headers: outgoingHeaders(attempt.headers, this.options.userAgent),
      body: attempt.body,
      signal,
      headersTimeout: attempt.timeoutMs,
      bodyTimeout: attempt.timeoutMs,
    });
    const body = await readPrefix(response.body);
    return { status: response.statusCode, headers: recordedHeaders(response.headers), body: body.subarray(0, RECORD_LIMIT).toString('utf8') };
  }
}

function outgoingHeaders(given: Record<string, string>, userAgent: string): Record<string, string> {
  const headers = Object.fromEntries(Object.entries(given).filter(([name]) => name.toLowerCase() !== 'user-agent'));
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  headers['user-agent'] = userAgent;
  return headers;
}

/** Stops at the limit and destroys the rest, which closes the socket: an endless body is never buffered. */
async function readPrefix(body: Dispatcher.ResponseData['body']): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= READ_LIMIT) break;
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, READ_LIMIT);
}

function recordedHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const recorded: Record<string, string> = {};
  for (const name of RECORDED_HEADERS) {
    const value = headers[name];
    if (value !== undefined) recorded[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return recorded;
}

const ERROR_CLASSES: Record<string, ErrorClass> = {
  HOOKLEDGER_BLOCKED: 'blocked',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  ECONNREFUSED: 'connect',
  EHOSTUNREACH: 'connect',
  ENETUNREACH: 'connect',
  EHOSTDOWN: 'connect',
  ENETDOWN: 'connect',
  EADDRNOTAVAIL: 'connect',
  ETIMEDOUT: 'connect',
  UND_ERR_CONNECT_TIMEOUT: 'connect',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_ABORTED: 'timeout',
  UND_ERR_HEADERS_OVERFLOW: 'protocol',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'protocol',
  EPROTO: 'tls',
};
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$)/;

function classifyTransportError(error: unknown, aborted: boolean): ErrorClass {
  const code = errorCode(error);
  if (code === 'HOOKLEDGER_BLOCKED') return 'blocked';
  // Only our own deadline aborts, whatever undici reports after it.
  if (aborted) return 'timeout';
  // undici 7 leaves the parser error's code undefined (it looks the number up in a name-to-number map).
  if (error instanceof errors.HTTPParserError) return 'protocol';
  if (code === undefined) return 'unknown';
  if (code.startsWith('HPE_')) return 'protocol';
  if (TLS_CODE.test(code)) return 'tls';
  return ERROR_CLASSES[code] ?? 'unknown';
}

function errorCode(error: unknown): string | undefined {
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === 'string') return own;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === 'string' ? cause : undefined;
}

/** Node and undici name header keys in their messages, never values; ours name the address. */
function safeMessage(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = errorCode(error);
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}

function elapsedMs(started: number): number {
  return Math.round(performance.now() - started);
}
