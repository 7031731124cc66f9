import type { Service } from './service.js';

export interface NdjsonResponse {
  status: number;
  contentType: string | null;
  /** Raw lines, without their newline; an unfinished last line too, so a cut stream shows. */
  lines: string[];
}

/**
 * GETs an NDJSON route and hands each line to `onLine` as it arrives (the lines are not kept when
 * `onLine` is given: an export can be far larger than a test wants to hold). `onLine` may return a
 * promise, which holds the reading back: a slow client.
 */
export async function getNdjson(
  service: Service,
  path: string,
  key: string,
  headers: Record<string, string> = {},
  onLine?: (line: string) => void | Promise<void>,
): Promise<NdjsonResponse> {
  const response = await fetch(service.url + path, { headers: { authorization: `Bearer ${key}`, ...headers } });
  const result: NdjsonResponse = { status: response.status, contentType: response.headers.get('content-type'), lines: [] };
  const take = onLine ?? ((line: string) => void result.lines.push(line));
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    const parts = (rest + decoder.decode(chunk, { stream: true })).split('\n');
    rest = parts.pop()!;
    for (const line of parts) await take(line);
  }
  rest += decoder.decode();
  if (rest !== '') await take(rest);
  return result;
}
