import type { Command } from '../command';

/**
 * One `lifeboat` command as `--help` lists it, and how to load it. A command's module (and what it imports: the
 * Temporal client, zod schemas, the worker) is loaded only when that command runs, so `lifeboat --help` and each
 * command start without loading the others. The summary is the one the command's own `--help` prints (a test holds
 * the two equal).
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

/** Every `lifeboat` command, in the order `lifeboat --help` lists them. */
export const commands: CommandEntry[] = [
  {
    name: 'runbooks',
    summary: 'List the runbooks Lifeboat can run',
    load: async () => (await import('./runbooks')).runbooksCommand,
  },
  {
    name: 'plan',
    summary: "Show a runbook's steps, gates and undos without running anything",
    load: async () => (await import('./plan')).planCommand,
  },
  {
    name: 'run',
    summary: 'Start a runbook, wait for a worker to check its start, and print its run id',
    load: async () => (await import('./run')).runCommand,
  },
  {
    name: 'status',
    summary: "Show a run's state, steps, open gate and audit trail; --watch follows it live",
    load: async () => (await import('./status')).statusCommand,
  },
  {
    name: 'list',
    summary: 'List runs, newest first, by runbook, target and state',
    load: async () => (await import('./list')).listCommand,
  },
  {
    name: 'approve',
    summary: 'Approve the open gate of a run (signed with your key)',
    load: async () => (await import('./decisions')).approveCommand,
  },
  {
    name: 'reject',
    summary: 'Reject the open gate of a run (signed; one rejection aborts it)',
    load: async () => (await import('./decisions')).rejectCommand,
  },
  {
    name: 'retry',
    summary: 'Retry the step a run is stuck on (signed)',
    load: async () => (await import('./decisions')).retryCommand,
  },
  {
    name: 'skip',
    summary: 'Skip the step a run is stuck on, where the step allows it (signed)',
    load: async () => (await import('./decisions')).skipCommand,
  },
  {
    name: 'abort',
    summary: 'Abort a run: it stops after the current step and undoes what it did (signed)',
    load: async () => (await import('./decisions')).abortCommand,
  },
  {
    name: 'cancel',
    summary: 'Cancel a run (signed): like abort, it stops after the current step and runs its undos; an unsigned `temporal workflow cancel` is refused',
    load: async () => (await import('./decisions')).cancelCommand,
  },
  {
    name: 'resume',
    summary: 'Ask a run holding in manual booking mode to reconcile and return to normal',
    load: async () => (await import('./resume')).resumeCommand,
  },
  {
    name: 'resolve',
    summary: 'Decide a reconciliation conflict of a manual booking run (--keep, --discard or --rule earliest-wins)',
    load: async () => (await import('./resolve')).resolveCommand,
  },
  {
    name: 'task',
    summary: 'Mark hands-on hosts of a run repaired (done) or waive them with a reason; list the hands-on checklist',
    load: async () => (await import('./task')).taskCommand,
  },
  {
    name: 'report',
    summary: "A run's report: timeline chart (gate and operator waits apart from work), RTO and RPO against objectives, approvals, interventions",
    load: async () => (await import('./report')).reportCommand,
  },
  {
    name: 'verify',
    summary:
      "Re-check every signed decision of a run from its history (signers' keys, rosters, nonces, times) and, from Temporal's records, what ran: runbook, parents, continue-as-new chain, resets, reuse of its start, termination",
    load: async () => (await import('./verify')).verifyCommand,
  },
  {
    name: 'evidence',
    summary: 'The sealed evidence archive of finished runs: list bundles, get one into a folder, verify files, seals and hash chains (no Temporal needed)',
    load: async () => (await import('./evidence')).evidenceCommand,
  },
  {
    name: 'findings',
    summary: 'List audit findings (failed drills, missed objectives, long not-ready spells) and whether they are open, overdue or closed',
    load: async () => (await import('./findings')).findingsCommand,
  },
  {
    name: 'finding',
    summary: 'Close an audit finding (signed): with a later passing drill as proof, or as an accepted risk',
    load: async () => (await import('./finding')).findingCommand,
  },
  {
    name: 'targets',
    summary: 'Check the targets file: validate it and probe each provider read-only',
    load: async () => (await import('./targets')).targetsCommand,
  },
  {
    name: 'drill',
    summary: 'Scheduled DR drills on Temporal Schedules: schedule, list, pause, resume, trigger, delete, history',
    load: async () => (await import('./drill')).drillCommand,
  },
  {
    name: 'readiness',
    summary: 'Check now whether runbooks could run (estate, approvers, last drill, pager); schedule the check; its history',
    load: async () => (await import('./readiness')).readinessCommand,
  },
  {
    name: 'alerts',
    summary: 'Receive alerts (Alertmanager webhook or generic JSON) and start runbooks by rule, signed as the receiver',
    load: async () => (await import('./alerts')).alertsCommand,
  },
  {
    name: 'console',
    summary: 'The web console: live runs, gates with passkey-signed approvals, reports, starts, drills (read-only without a passkey)',
    load: async () => (await import('./console')).consoleCommand,
  },
  {
    name: 'passkey',
    summary: 'Enrol a passkey for signing from the console: sign it with your SSH key and add it to the roster',
    load: async () => (await import('./passkey')).passkeyCommand,
  },
  {
    name: 'roster',
    summary: 'Sign the roster as a roster admin, or check whether enough admins have signed it',
    load: async () => (await import('./roster')).rosterCommand,
  },
  {
    name: 'worker',
    summary: 'Run a worker against the configured Temporal (TEMPORAL_ADDRESS, profile, or the local dev server)',
    load: async () => (await import('./worker')).workerCommand,
  },
  {
    name: 'workers',
    summary: 'List the workers on the task queue with their build and roster, targets and trust root digests; flag any that differ',
    load: async () => (await import('./workers')).workersCommand,
  },
  {
    name: 'orchestrator',
    summary: "The orchestrator's own Temporal clusters: which one is active for the namespace, each standby's replication lag, which workers poll where",
    load: async () => (await import('./orchestrator')).orchestratorCommand,
  },
  {
    name: 'codec-server',
    summary: "Decrypt payloads for the Temporal Web UI and the stock temporal CLI (Temporal's remote codec protocol)",
    load: async () => (await import('./codec-server')).codecServerCommand,
  },
  {
    name: 'dev',
    summary: 'Bring up the embedded Temporal dev server (or reuse one) and a worker; what `npm start` runs',
    load: async () => (await import('./dev')).devCommand,
  },
];
