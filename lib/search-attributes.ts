import { temporal } from '@temporalio/proto';
import type { NativeConnection } from '@temporalio/worker';
import { CliError } from './command-error';
import { lifeboatSearchAttributes } from '../kit/trust';

/** The operator calls that list and add a namespace's search attributes, which both client libraries offer. */
type SearchAttributeOperator = Pick<temporal.api.operatorservice.v1.OperatorService, 'listSearchAttributes' | 'addSearchAttributes'>;

/**
 * Adds whichever of Lifeboat's search attributes (all Keyword) the namespace lacks, and returns their names. The one
 * place they are registered: the worker before it polls, and `npm run setup:server` and the cluster tests' server.
 */
export async function addMissingSearchAttributes(operator: SearchAttributeOperator, namespace: string): Promise<string[]> {
  const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  const existing = await operator.listSearchAttributes({ namespace });
  const missing = Object.fromEntries(
    lifeboatSearchAttributes.filter((key) => !(key.name in (existing.customAttributes ?? {}))).map((key) => [key.name, keyword]),
  );
  if (Object.keys(missing).length > 0) await operator.addSearchAttributes({ namespace, searchAttributes: missing });
  return Object.keys(missing);
}

/** `--search-attribute` flags for `temporal server start-dev`. */
export function devServerSearchAttributeFlags(): string[] {
  return lifeboatSearchAttributes.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}

/**
 * How long a fresh self-hosted namespace keeps closed runs, in the fix the worker prints and in docs/production.md:
 * long enough to read, report on and `lifeboat verify` a run in the post-incident review, and far above a signed
 * start's claim lifetime.
 */
export const suggestedRetention = '30d';

/** gRPC's NOT_FOUND, which Temporal answers for a namespace it does not have. */
const GRPC_NOT_FOUND = 5;

/** Temporal Cloud's endpoints end in this; there namespaces are made in Cloud, never by `temporal operator`. */
function isTemporalCloud(address: string | undefined): boolean {
  const host = (address ?? '').replace(/:\d+$/, '').toLowerCase();
  return host.endsWith('.tmprl.cloud');
}

/** Whether the server refused because the namespace itself does not exist (not an attribute, not a permission). */
function isMissingNamespace(err: unknown, namespace: string): boolean {
  const { code, details, message } = (err ?? {}) as { code?: unknown; details?: unknown; message?: unknown };
  if (code !== GRPC_NOT_FOUND) return false;
  const text = `${typeof details === 'string' ? details : ''} ${typeof message === 'string' ? message : ''}`;
  return text.includes(`Namespace ${namespace} is not found`) || /namespace .* not found/i.test(text);
}

/** An error message without its trailing full stops, so that a sentence can follow it. */
function withoutFullStop(text: string): string {
  return text.trim().replace(/\.+$/, '');
}

/**
 * The error for a namespace the server does not have: a fresh self-hosted server has none but its system namespace,
 * and adding search attributes to a missing namespace fails the same way, so the fix is to create the namespace (or,
 * on Temporal Cloud, to name the one that exists).
 */
export function missingNamespaceError(namespace: string, address?: string): CliError {
  const where = address ? ` on ${address}` : '';
  return new CliError(`Temporal namespace ${namespace} does not exist${where}`, {
    code: 'namespace-not-found',
    suggestion: isTemporalCloud(address)
      ? `check TEMPORAL_NAMESPACE (or the profile's namespace): on Temporal Cloud it is the full name, <name>.<account>, of a namespace made in Cloud`
      : `create it once with: temporal operator namespace create --namespace ${namespace} --retention ${suggestedRetention}` +
        `${address ? ` --address ${address}` : ''} (or set TEMPORAL_NAMESPACE to the namespace you made)`,
  });
}

/**
 * Registers Lifeboat's search attributes on the namespace if they are missing. Runs fail their
 * workflow tasks when an attribute they set is unknown, so the worker checks before it polls.
 * A namespace that does not exist is named as such, with the command that creates it (`address` tells a self-hosted
 * server from Temporal Cloud). Temporal Cloud does not allow this call to API keys without admin rights: then it
 * says what to do.
 */
export async function ensureSearchAttributes(connection: NativeConnection, namespace: string, address?: string): Promise<void> {
  try {
    await addMissingSearchAttributes(connection.operatorService, namespace);
  } catch (err) {
    if (isMissingNamespace(err, namespace)) throw missingNamespaceError(namespace, address);
    const create = isTemporalCloud(address)
      ? `tcld namespace search-attributes add --namespace ${namespace} ${lifeboatSearchAttributes.map((k) => `--search-attribute ${k.name}=Keyword`).join(' ')} (or use an API key with admin rights)`
      : lifeboatSearchAttributes.map((k) => `temporal operator search-attribute create --namespace ${namespace} --name ${k.name} --type Keyword`).join(' && ');
    throw new CliError(`could not register Lifeboat's search attributes on namespace ${namespace}: ${withoutFullStop((err as Error).message)}`, {
      code: 'search-attributes',
      suggestion: `create them once with: ${create}`,
    });
  }
}
