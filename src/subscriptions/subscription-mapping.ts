import { ValidationProblem } from '../shared/http/problem.filter.js';
import { retryPolicyOf, SUBSCRIPTION_DEFAULTS, urlProblem, redactHeaders } from './domain/subscription-rules.js';
import type { ConfigChanges, SignatureScheme, SubscriptionConfig } from './domain/subscription.events.js';
import type { SignatureDto, SubscriptionFieldsDto, SubscriptionResponse } from './subscription.dto.js';
import type { SubscriptionRow } from './subscription-view/subscriptions.projection.js';
import { CLEARABLE_FIELDS } from './update-subscription/update-subscription.request.dto.js';

function signatureOf(dto: SignatureDto): SignatureScheme {
  return dto.scheme === 'hmac-sha256-hex' ? { scheme: 'hmac-sha256-hex', header: dto.header! } : { scheme: 'standard' };
}

function checkUrl(url: string, allowInsecure: boolean): void {
  const problem = urlProblem(url, allowInsecure);
  if (problem) throw new ValidationProblem([{ field: 'url', messages: [`url ${problem}`] }]);
}

/** A validated create request as a complete configuration, fields in one fixed order. */
export function toConfig(dto: SubscriptionFieldsDto, allowInsecure: boolean): SubscriptionConfig {
  checkUrl(dto.url, allowInsecure);
  const d = SUBSCRIPTION_DEFAULTS;
  return {
    url: dto.url,
    eventTypes: [...new Set(dto.eventTypes)],
    description: dto.description ?? d.description,
    headers: dto.headers ?? d.headers,
    filter: dto.filter ?? d.filter,
    retryPolicy: dto.retryPolicy ? retryPolicyOf(dto.retryPolicy) : d.retryPolicy,
    timeoutMs: dto.timeoutMs ?? d.timeoutMs,
    maxConcurrency: dto.maxConcurrency ?? d.maxConcurrency,
    rateLimitPerSecond: dto.rateLimitPerSecond ?? d.rateLimitPerSecond,
    ordering: dto.ordering ?? d.ordering,
    signature: dto.signature ? signatureOf(dto.signature) : d.signature,
    payload: dto.payload ?? d.payload,
  };
}

/** A validated PATCH as changes: absent fields stay, `null` clears the clearable ones and is refused elsewhere. */
export function toChanges(dto: Partial<SubscriptionFieldsDto>, allowInsecure: boolean): ConfigChanges {
  const nulls = Object.entries(dto).filter(([field, value]) => value === null && !CLEARABLE_FIELDS.has(field));
  if (nulls.length) throw new ValidationProblem(nulls.map(([field]) => ({ field, messages: [`${field} cannot be null`] })));
  if (dto.url !== undefined) checkUrl(dto.url, allowInsecure);
  const changes: ConfigChanges = {};
  if (dto.url !== undefined) changes.url = dto.url;
  if (dto.eventTypes !== undefined) changes.eventTypes = [...new Set(dto.eventTypes)];
  if (dto.description !== undefined) changes.description = dto.description;
  if (dto.headers !== undefined) changes.headers = dto.headers;
  if (dto.filter !== undefined) changes.filter = dto.filter;
  if (dto.retryPolicy !== undefined) changes.retryPolicy = retryPolicyOf(dto.retryPolicy);
  if (dto.timeoutMs !== undefined) changes.timeoutMs = dto.timeoutMs;
  if (dto.maxConcurrency !== undefined) changes.maxConcurrency = dto.maxConcurrency;
  if (dto.rateLimitPerSecond !== undefined) changes.rateLimitPerSecond = dto.rateLimitPerSecond;
  if (dto.ordering !== undefined) changes.ordering = dto.ordering;
  if (dto.signature !== undefined) changes.signature = signatureOf(dto.signature);
  if (dto.payload !== undefined) changes.payload = dto.payload;
  return changes;
}

export function toResponse(row: SubscriptionRow): SubscriptionResponse {
  const { config } = row;
  return {
    id: row.id,
    status: row.status,
    disabledReason: row.disabledReason,
    ...config,
    headers: redactHeaders(config.headers),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** History shows what changed, with credential-like header values redacted. */
export function redactChanges(changes: ConfigChanges): ConfigChanges {
  return changes.headers ? { ...changes, headers: redactHeaders(changes.headers) } : changes;
}
