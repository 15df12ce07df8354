// @ts-check
// The console's JSON API as the pages call it: one function per call, and the shapes of its answers as far as the
// pages read them (cli/console/api.ts builds them). A refusal becomes an Error whose message is the console's own,
// with its suggested fix on a second line.

/**
 * What the console says of itself at start: the people who may sign, the runbooks, and where passkeys belong.
 * @typedef {object} ConsoleConfig
 * @property {{ id: string, name: string, groups?: string[], passkeys: number }[]} people Passkeys: how many the roster lists for this site.
 * @property {{ id: string, title: string }[]} runbooks
 * @property {string} rpId The WebAuthn relying party id passkeys are made for and used on.
 * @property {string} namespace
 * @property {string | null} temporalUiUrl
 * @property {boolean} drillControls
 * @property {string | null} [rosterFile]
 */

/**
 * One row of the runs list (visibility's search attributes, as strings).
 * @typedef {object} RunSummary
 * @property {string} runId
 * @property {string} [state]
 * @property {string} temporalStatus
 * @property {string} [drill]
 * @property {string} [requestedBy]
 * @property {string} [startedAt]
 */

/**
 * @typedef {object} DecisionProof
 * @property {string} fingerprint
 * @property {string} keyType
 * @property {string} nonce
 */

/**
 * @typedef {object} StepRecord
 * @property {string} name
 * @property {'step' | 'undo'} kind
 * @property {string} status
 * @property {number} attempts
 * @property {number} [durationMs]
 * @property {string} [lastError]
 */

/**
 * @typedef {object} Vote
 * @property {string} by
 * @property {'approve' | 'reject'} decision
 * @property {string} at
 * @property {string} [comment]
 * @property {DecisionProof} [verified]
 */

/**
 * @typedef {object} GateRecord
 * @property {string} name
 * @property {string} title
 * @property {string} status
 * @property {number} quorum
 * @property {{ users?: string[], groups?: string[] }} approvers
 * @property {string[]} eligible People the roster allowed when the gate opened, the requester already removed.
 * @property {Vote[]} votes
 * @property {string} expiresAt
 * @property {string} onExpiry
 */

/**
 * @typedef {object} AuditEntry
 * @property {string} at
 * @property {string} actor
 * @property {string} action
 * @property {string} [detail]
 * @property {string} [comment]
 * @property {DecisionProof} [verified]
 */

/**
 * A host waiting for hands-on repair (isolate-vendor-module).
 * @typedef {object} HandsOnTask
 * @property {string} host
 * @property {string} reason
 * @property {string} wave
 * @property {'open' | 'done' | 'waived'} status
 */

/**
 * The hands-on checklist a run publishes in its details.
 * @typedef {object} HandsOnQueue
 * @property {number} open
 * @property {number} done
 * @property {number} waived
 * @property {string} deadline
 * @property {number} [listed] Set when only the first hosts are listed.
 * @property {HandsOnTask[]} tasks
 */

/**
 * A conflict reconciliation found in a manual-booking run.
 * @typedef {object} FoundConflict
 * @property {string} id
 * @property {string} kind
 * @property {string} detail
 * @property {string[]} options The decisions it allows.
 * @property {string} [earliest] What the earliest-wins rule picks, where it applies.
 */

/**
 * A reconciliation conflict: open, or decided (and perhaps done) by someone.
 * @typedef {FoundConflict & ({ status: 'open' } | { status: 'decided' | 'done', resolution: { decision: string, by: string, rule?: string } })} ConflictRecord
 */

/**
 * What a runbook publishes as it goes; the pages read these parts of it and show the whole as JSON.
 * @typedef {{ phase?: string, holding?: { since?: string }, handsOn?: HandsOnQueue, conflicts?: ConflictRecord[] } & Record<string, unknown>} RunDetails
 */

/**
 * Why and how Temporal ended a run that never said so itself.
 * @typedef {object} EndedByTemporal
 * @property {'terminated' | 'timed-out' | 'canceled'} how
 * @property {string} [at]
 * @property {string} [by]
 * @property {string} [reason]
 * @property {string} [inStep]
 * @property {{ step: string, undo: string }[]} [undosNotRun]
 * @property {string[]} next
 */

/**
 * A run's status as the console shows it (ShownStatus).
 * @typedef {object} RunStatus
 * @property {string} runId
 * @property {string} title
 * @property {string} state
 * @property {string} requestedBy
 * @property {{ kind: string, approvals: string }} [drill]
 * @property {object} [objectives]
 * @property {string} startedAt
 * @property {string} updatedAt
 * @property {string} [finishedAt]
 * @property {string} [currentStep]
 * @property {StepRecord[]} steps
 * @property {GateRecord[]} gates
 * @property {{ step: string, error: string, since: string, options: ('retry' | 'skip' | 'abort')[] }} [intervention]
 * @property {{ by: string, reason?: string, at: string }} [abortRequested]
 * @property {{ step: string, undoInstead: string }} [pointOfNoReturn]
 * @property {{ at: string, next: string }} [reset]
 * @property {RunDetails} details
 * @property {string} [outcome]
 * @property {AuditEntry[]} audit
 * @property {{ count: number, lastBy: string, lastReason: string }} [refused]
 * @property {{ lastFailure?: { kind: string, at: string, error: string } }} [notifications]
 * @property {{ warning?: string }} [history]
 * @property {number} [auditDropped]
 * @property {EndedByTemporal} [endedByTemporal]
 */

/**
 * @typedef {object} ObjectiveCheck
 * @property {'rto' | 'rpo'} objective
 * @property {number} targetSeconds
 * @property {number} [measuredSeconds]
 * @property {boolean} met
 * @property {string} [countedFrom]
 */

/**
 * One member of a plan's run as its page shows it (cli/report/plan-model.ts builds it from the member's own run).
 * @typedef {object} PlanMemberRow
 * @property {string} member
 * @property {string} runbook
 * @property {string} runId The member's own run, whose page the row links to.
 * @property {string[]} after
 * @property {string} state
 * @property {number} [startMs] From the plan's start.
 * @property {number} [endMs]
 * @property {number} [rtoSeconds]
 * @property {number} [rpoSeconds]
 * @property {number} [rpoWrites]
 * @property {string} [error]
 * @property {string} [statusNote]
 * @property {boolean} onCriticalPath
 * @property {{ workSeconds: number, gateWaitSeconds: number, operatorWaitSeconds: number }} totals
 * @property {{ name: string, title: string, status: string, delegated: boolean, openedAt: string }[]} gates
 */

/**
 * A plan's run: its members across services, the critical path, its one decision and who signed it.
 * @typedef {object} PlanView
 * @property {string} plan
 * @property {{ rtoSeconds?: number, rtoFromDetectionSeconds?: number, rpoSeconds?: number, rpoWrites?: number }} measurements
 * @property {ObjectiveCheck[]} objectives
 * @property {{ gate: string, title?: string, status: string, quorum?: number, requires?: { group: string, atLeast: number }[], waitedSeconds?: number, signers: { by: string, decision: string, at: string, keyType?: string, fingerprint?: string, comment?: string }[] }} decision
 * @property {PlanMemberRow[]} members
 * @property {string[]} criticalPath
 * @property {{ member: string, by?: string, reason?: string }[]} skipped
 * @property {string[]} notStarted
 * @property {{ member: string, runId: string, gate: string, title: string, openedAt: string }[]} openGates
 * @property {{ summary: string, medianSeconds?: number, actualAfterDecisionSeconds?: number, errorSeconds?: number }} [forecast]
 */

/**
 * A run with what its page shows beside it: the report's objectives and totals, and links; a plan's run adds `plan`.
 * @typedef {object} RunView
 * @property {RunStatus} status
 * @property {PlanView} [plan]
 * @property {{ objectives?: ObjectiveCheck[], totals?: { workSeconds: number, gateWaitSeconds: number, operatorWaitSeconds: number }, measurements?: { rpoBytes?: number, rpoWrites?: number } }} report
 * @property {{ report: string, timeline: string, temporal?: string }} links
 */

/**
 * A problem the console reports, in an error answer or on a live stream.
 * @typedef {object} Problem
 * @property {string} message
 * @property {string} [suggestion]
 */

/**
 * A statement for the passkey to sign: its exact text, its digest, the passkeys that may sign it and their site.
 * @typedef {object} PreparedStatement
 * @property {string} statement
 * @property {string} digest
 * @property {string} rpId
 * @property {string[]} credentialIds
 */

/**
 * A decision the page asks the console to word for signing.
 * @typedef {object} DecisionRequest
 * @property {string} kind
 * @property {string} by
 * @property {string} [comment]
 * @property {string} [conflict]
 * @property {string} [decision]
 * @property {'earliest-wins'} [rule]
 */

/** @typedef {{ gate: string, status: string, approvals: number, quorum: number }} GateReceipt */
/** @typedef {{ database: string, next: string }} ResumeReceipt */
/** @typedef {{ resolved: { id: string, decision: string }[], open: number }} ResolveReceipt */
/** @typedef {{ open: number }} TaskReceipt */
/** @typedef {{ action: string, state: string }} OperatorReceipt */

/**
 * What a run answers to each kind of signed decision.
 * @typedef {{ approve: GateReceipt, reject: GateReceipt, retry: OperatorReceipt, skip: OperatorReceipt, abort: OperatorReceipt, cancel: OperatorReceipt, resume: ResumeReceipt, resolve: ResolveReceipt, task: TaskReceipt }} Receipts
 */

/**
 * A property of a runbook's input schema (JSON Schema, made from its zod schema).
 * @typedef {object} SchemaProperty
 * @property {string | string[]} [type]
 * @property {string} [description]
 * @property {unknown} [default]
 * @property {unknown[]} [enum]
 * @property {number} [minimum]
 * @property {number} [maximum]
 * @property {number} [maxLength]
 * @property {string} [format]
 */

/**
 * @typedef {object} InputSchema
 * @property {Record<string, SchemaProperty>} [properties]
 * @property {string[]} [required]
 */

/**
 * @typedef {object} RunbookView
 * @property {string} id
 * @property {string} title
 * @property {string} description
 * @property {InputSchema} schema
 */

/**
 * A start to check: the runbook, its input, who asks, and whether it is a drill.
 * @typedef {object} StartRequest
 * @property {string} runbook
 * @property {Record<string, unknown>} input
 * @property {string} by
 * @property {string} [drill]
 */

/** @typedef {PreparedStatement & { runId: string, plan: string, input: unknown }} PreparedStart */

/**
 * @typedef {object} ReadinessRow
 * @property {string} runbook
 * @property {string} target
 * @property {boolean | null} ready Null when no scheduled evaluation was found.
 * @property {string | null} checkedAt
 * @property {{ name: string, reason: string, fix: string }[]} failing
 */

/**
 * @typedef {object} DrillSchedule
 * @property {string} scheduleId
 * @property {string | null} drill
 * @property {boolean} paused
 * @property {string | null} note
 * @property {string | null} nextRun
 * @property {string | null} lastRun
 */

/**
 * @typedef {object} DrillHistoryEntry
 * @property {string} runId
 * @property {string} startedAt
 * @property {string} [drill]
 * @property {number} [rtoSeconds]
 * @property {number} [rpoSeconds]
 * @property {boolean} passed
 * @property {string[]} problems
 */

/**
 * Calls the console's API: a GET without a body, a JSON POST with one.
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<unknown>}
 */
async function call(path, body) {
  const res = await fetch(
    `/api/${path}`,
    body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  );
  /** @type {{ error?: Partial<Problem> }} */
  const json = await res.json().catch(() => ({ error: { message: `HTTP ${res.status}` } }));
  if (!res.ok) {
    const e = json.error || {};
    throw new Error(`${e.message || `HTTP ${res.status}`}${e.suggestion ? `\nfix: ${e.suggestion}` : ''}`);
  }
  return json;
}

/** @param {string} runId */
const ofRun = (runId) => `run=${encodeURIComponent(runId)}`;

/** @returns {Promise<ConsoleConfig>} */
export const config = async () => /** @type {ConsoleConfig} */ (await call('config'));

/**
 * Words a decision on a run for the passkey to sign, as the CLI would.
 * @param {string} runId
 * @param {DecisionRequest} request
 * @returns {Promise<PreparedStatement>}
 */
export const prepareDecision = async (runId, request) => /** @type {PreparedStatement} */ (await call(`decision/prepare?${ofRun(runId)}`, request));

/**
 * Words the closing of hands-on hosts: one statement per list of hosts that fits a signed decision.
 * @param {string} runId
 * @param {{ action: 'done' | 'waive', hosts: string[], by: string, reason?: string }} request
 * @returns {Promise<{ statements: PreparedStatement[], lists: string[][] }>}
 */
export const prepareTask = async (runId, request) =>
  /** @type {{ statements: PreparedStatement[], lists: string[][] }} */ (await call(`task/prepare?${ofRun(runId)}`, request));

/**
 * Sends a signed decision to the run, which verifies it; the run's receipt comes back.
 * @template {keyof Receipts} K
 * @param {string} runId
 * @param {{ kind: K, statement: string, signature: string }} signed
 * @returns {Promise<Receipts[K]>}
 */
export const submitDecision = async (runId, signed) => /** @type {Receipts[K]} */ (await call(`decision/submit?${ofRun(runId)}`, signed));

/**
 * @param {string} id
 * @returns {Promise<RunbookView>}
 */
export const runbook = async (id) => /** @type {RunbookView} */ (await call(`runbook?id=${encodeURIComponent(id)}`));

/**
 * Checks a start as `lifeboat run` does and words it for the passkey, with the plan.
 * @param {StartRequest} request
 * @returns {Promise<PreparedStart>}
 */
export const prepareStart = async (request) => /** @type {PreparedStart} */ (await call('start/prepare', request));

/**
 * @param {{ request: StartRequest, statement: string, signature: string }} signed
 * @returns {Promise<{ runId: string }>}
 */
export const submitStart = async (signed) => /** @type {{ runId: string }} */ (await call('start/submit', signed));

/** @returns {Promise<ReadinessRow[]>} */
export const readiness = async () => /** @type {ReadinessRow[]} */ (await call('readiness'));

/** @returns {Promise<{ schedules: DrillSchedule[], controls: boolean }>} */
export const drills = async () => /** @type {{ schedules: DrillSchedule[], controls: boolean }} */ (await call('drills'));

/**
 * Pauses, resumes or triggers a drill schedule (only a console started with --drill-controls does).
 * @param {string} scheduleId
 * @param {string} action
 */
export const controlDrill = async (scheduleId, action) => call('drills/control', { scheduleId, action });

/**
 * @param {string} runbookId
 * @returns {Promise<{ entries: DrillHistoryEntry[] }>}
 */
export const drillHistory = async (runbookId) =>
  /** @type {{ entries: DrillHistoryEntry[] }} */ (await call(`drill-history?runbook=${encodeURIComponent(runbookId)}`));
