import { Agent, errors, type Dispatcher } from 'undici';
import type { ErrorClass } from '../domain/retry-policy.js';
import { RecentCache } from '../../shared/recent-cache.js';
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
const RECORDED_HEADERS: ReadonlySet<string> = new Set(['content-type', 'retry-after', 'location', 'content-length']);

/**
 * One POST per call through a single keep-alive agent whose every connection passes the SSRF guard.
 * Redirects are not followed: `dispatch` hands back the 3xx as it came (undici follows only through
 * its redirect interceptor, which is not installed).
 */
export class HttpSender {
  private readonly agent: Agent;
  private readonly targets = new RecentCache<string, { origin: string; path: string }>({ entries: 1_000 });

  constructor(private readonly options: HttpSenderOptions) {
    this.agent = new Agent({
      connect: createGuardedConnector(parseAllowList(options.allowedNetworks), { lookup: options.lookup }),
      pipelining: 1,
      ...(options.connections === undefined ? {} : { connections: options.connections }),
    });
  }

  /**
   * The deadline covers everything: DNS, connect, headers and body. undici is driven through
   * `dispatch` with a handler that keeps the first 64 KiB of the body: no response stream, async
   * iterator or abort signal per attempt.
   */
  send(attempt: SendRequest): Promise<SendResult> {
    const started = performance.now();
    return new Promise((resolve) => {
      let abort: ((reason: Error) => void) | null = null;
      let settled = false;
      let timedOut = false;
      let status = 0;
      let rawHeaders: Buffer[] = [];
      const chunks: Buffer[] = [];
      let size = 0;

      const answer = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const body = Buffer.concat(chunks, Math.min(size, RECORD_LIMIT)).toString('utf8');
        resolve({ kind: 'response', status, headers: recordedHeaders(rawHeaders), body, durationMs: elapsedMs(started) });
      };
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const errorClass = classifyTransportError(error, timedOut);
        const message = errorClass === 'timeout' ? `no complete response within ${attempt.timeoutMs} ms` : safeMessage(error);
        resolve({ kind: 'error', errorClass, message, durationMs: elapsedMs(started) });
      };
      const timer = setTimeout(() => {
        timedOut = true;
        const reason = new errors.RequestAbortedError('attempt timed out');
        fail(reason);
        // Before the request has a connection there is nothing to abort yet: `onConnect` does it.
        abort?.(reason);
      }, attempt.timeoutMs);

      let target: { origin: string; path: string };
      try {
        target = this.target(attempt.url);
      } catch (error) {
        return fail(error);
      }
      this.agent.dispatch(
        {
          origin: target.origin,
          path: target.path,
          method: 'POST',
          headers: outgoingHeaders(attempt.headers, this.options.userAgent),
          body: attempt.body,
          headersTimeout: attempt.timeoutMs,
          bodyTimeout: attempt.timeoutMs,
        },
        {
          onConnect: (abortRequest: (reason: Error) => void) => {
            abort = abortRequest;
            if (settled) abortRequest(new errors.RequestAbortedError('attempt already ended'));
          },
          onHeaders: (statusCode: number, headers: Buffer[]) => {
            status = statusCode;
            rawHeaders = headers;
            return true;
          },
          onData: (chunk: Buffer) => {
            // Up to 64 KiB is read so a small answer leaves the connection reusable; only the first 4 KiB is kept.
            if (size < RECORD_LIMIT) chunks.push(chunk);
            size += chunk.length;
            if (size < READ_LIMIT) return true;
            // Enough read: answer with what came and drop the connection, so an endless body is never buffered.
            answer();
            abort?.(new errors.RequestAbortedError('response body past the read limit'));
            return false;
          },
          onComplete: () => answer(),
          onError: (error: Error) => fail(error),
        } as unknown as Dispatcher.DispatchHandler,
      );
    });
  }

  /** Origin and path of a subscription URL, parsed once per URL. */
  private target(url: string): { origin: string; path: string } {
    let target = this.targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      this.targets.set(url, target);
    }
    return target;
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  /** Aborts every request still running: used at shutdown once the grace period is over. */
  destroy(): Promise<void> {
    return this.agent.destroy();
  }
}

function outgoingHeaders(given: Record<string, string>, userAgent: string): Record<string, string> {
  const headers = Object.fromEntries(Object.entries(given).filter(([name]) => name.toLowerCase() !== 'user-agent'));
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  headers['user-agent'] = userAgent;
  return headers;
}

/** The few response headers an attempt records, repeated ones joined; names compared in lower case. */
function recordedHeaders(raw: Buffer[]): Record<string, string> {
  const recorded: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    if (!RECORDED_HEADERS.has(name)) continue;
    const value = raw[i + 1]!.toString('latin1');
    recorded[name] = recorded[name] === undefined ? value : `${recorded[name]}, ${value}`;
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
