import { Statement } from '../../kit/trust';

/** The parts of a run's start request that lifecycle checks compare; read without trusting any of it. */
export interface StartRequest {
  input: unknown;
  requestedBy: string | undefined;
  drill: string;
  /** The signed start exactly as sent. */
  start: unknown;
  /** Its statement, when it parses as one (whether or not its signature holds: checkRun says that). */
  statement: Statement | undefined;
}

/** Reads a run's start request (a `RunRequest`) as lifecycle checks need it. */
export function startRequestOf(request: unknown): StartRequest {
  const raw = (typeof request === 'object' && request !== null ? request : {}) as {
    input?: unknown;
    requestedBy?: unknown;
    drill?: { kind?: unknown };
    start?: unknown;
  };
  return {
    input: raw.input,
    requestedBy: typeof raw.requestedBy === 'string' ? raw.requestedBy : undefined,
    drill: typeof raw.drill?.kind === 'string' ? raw.drill.kind : 'none',
    start: raw.start,
    statement: statementOf(raw.start),
  };
}

function statementOf(start: unknown): Statement | undefined {
  const text = (start as { statement?: unknown } | null | undefined)?.statement;
  if (typeof text !== 'string') return undefined;
  try {
    const parsed = Statement.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whether two signed starts are the same message: the same statement text and the same signature. */
export function sameSignedStart(a: unknown, b: unknown): boolean {
  const x = a as { statement?: unknown; signature?: unknown } | null | undefined;
  const y = b as { statement?: unknown; signature?: unknown } | null | undefined;
  return typeof x?.statement === 'string' && x.statement === y?.statement && typeof x.signature === 'string' && x.signature === y?.signature;
}

/** A run named for a person: its workflow ID and, shortened, its Temporal run ID. */
export function runName(workflowId: string | undefined, runId: string): string {
  return `${workflowId ?? '(unknown workflow)'} (run ${runId || 'unknown'})`;
}
