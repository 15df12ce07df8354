import { temporal } from '@temporalio/proto';
import type { NativeConnection } from '@temporalio/worker';
import { lifeboatSearchAttributes } from '../workflows/kit';

/** `--search-attribute` flags for `temporal server start-dev`. */
export function devServerSearchAttributeFlags(): string[] {
  return lifeboatSearchAttributes.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}

/**
 * Registers Lifeboat's search attributes on the namespace if they are missing. Runs fail their
 * workflow tasks when an attribute they set is unknown, so the worker checks before it polls.
 * Temporal Cloud does not allow this call to API keys without admin rights: then it says what to do.
 */
export async function ensureSearchAttributes(connection: NativeConnection, namespace: string): Promise<void> {
  const wanted = Object.fromEntries(lifeboatSearchAttributes.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]));
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = Object.fromEntries(Object.entries(wanted).filter(([name]) => !(name in (existing.customAttributes ?? {}))));
    if (Object.keys(missing).length === 0) return;
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    throw new Error(
      `could not register Lifeboat's search attributes on namespace ${namespace}: ${(err as Error).message}. ` +
        `Create them once with: ${lifeboatSearchAttributes.map((k) => `temporal operator search-attribute create --name ${k.name} --type Keyword`).join(' && ')}`,
    );
  }
}
