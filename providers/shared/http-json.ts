import { ApplicationFailure } from '@temporalio/common';
import { ProviderErrorType } from '../contracts/errors';

/**
 * Calls a JSON HTTP API with a short timeout. Unreachable or 5xx: a plain error (a retry may help).
 * 4xx: non-retryable, carrying the server's message (a retry will get the same answer).
 */
export async function callJson<T>(
  url: string,
  init: { method?: string; body?: unknown; timeoutMs?: number; accept?: number[] } = {},
): Promise<{ status: number; body: T }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(init.timeoutMs ?? 5_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new Error(`${init.method ?? 'GET'} ${url} unreachable (${cause}): ${(err as Error).message}`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  if (response.ok || init.accept?.includes(response.status)) return { status: response.status, body: body as T };
  const message = (body as { message?: string } | undefined)?.message ?? text;
  if (response.status >= 400 && response.status < 500 && response.status !== 429) {
    throw ApplicationFailure.nonRetryable(
      `${url}: HTTP ${response.status}: ${message}`,
      response.status === 409 ? ProviderErrorType.Refused : ProviderErrorType.InvalidInput,
      body,
    );
  }
  throw new Error(`${url}: HTTP ${response.status}: ${message}`);
}
