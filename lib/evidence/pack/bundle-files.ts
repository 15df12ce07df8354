import { z } from 'zod';
import { FINDINGS_FILE, FindingsSnapshot } from '../../findings/record';
import { MANIFEST_FILE } from '../manifest';
import type { StoredBundle } from '../store';
import { DEFINITION_FILE, DefinitionRecord } from './definition-record';

/**
 * The files of a bundle the pack reads, each read leniently: a field that is missing or of another shape is left out
 * rather than failing the whole pack, since whether a bundle can be trusted is the integrity check's job, and the pack
 * must still be made (and say so) when one cannot.
 */

/** A field read when it has the expected shape, else absent. */
const maybe = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

const ObjectiveRow = z.looseObject({
  objective: z.enum(['rto', 'rpo']),
  targetSeconds: z.number(),
  measuredSeconds: maybe(z.number()),
  met: z.boolean(),
  countedFrom: maybe(z.enum(['detection', 'run start'])),
});

/** What the pack reads of `report.json`, for a runbook's run (RunReport) or a plan's (PlanReport), as `lifeboat report` writes them. */
export const ReportFile = z.looseObject({
  kind: maybe(z.literal('plan')),
  title: maybe(z.string()),
  state: maybe(z.string()),
  requestedBy: maybe(z.string()),
  drill: maybe(z.looseObject({ kind: z.string(), approvals: z.string() })),
  drillProblems: maybe(z.array(z.string())),
  measurements: maybe(z.looseObject({ rtoSeconds: maybe(z.number()), rpoSeconds: maybe(z.number()) })),
  objectives: maybe(z.array(ObjectiveRow)),
  approvals: maybe(z.array(z.looseObject({ gate: z.string(), by: z.string(), decision: z.string() }))),
  interventions: maybe(z.array(z.looseObject({ step: z.string(), action: maybe(z.string()), by: maybe(z.string()) }))),
  timeline: maybe(z.array(z.looseObject({ label: z.string(), kind: z.string(), outcome: z.string() }))),
  decision: maybe(z.looseObject({ gate: z.string(), status: maybe(z.string()), signers: z.array(z.looseObject({ by: z.string(), decision: z.string() })) })),
  members: maybe(z.array(z.looseObject({ member: z.string(), runbook: z.string(), target: z.string(), state: z.string(), rtoSeconds: maybe(z.number()) }))),
  skipped: maybe(z.array(z.looseObject({ member: z.string(), by: maybe(z.string()) }))),
  forecast: maybe(
    z.looseObject({
      medianSeconds: maybe(z.number()),
      minSeconds: maybe(z.number()),
      maxSeconds: maybe(z.number()),
      actualAfterDecisionSeconds: maybe(z.number()),
      errorSeconds: maybe(z.number()),
      withinRange: maybe(z.boolean()),
    }),
  ),
});
export type ReportFile = z.infer<typeof ReportFile>;

/** What the pack reads of `verify.json`: every decision `lifeboat verify` re-checked, with who signed it. */
export const VerifyFile = z.looseObject({
  requestedBy: maybe(z.string()),
  ok: maybe(z.boolean()),
  decisions: maybe(
    z.array(
      z.looseObject({
        kind: maybe(z.string()),
        signer: z.string(),
        answers: maybe(z.string()),
        counted: maybe(z.boolean().nullable()),
      }),
    ),
  ),
});
export type VerifyFile = z.infer<typeof VerifyFile>;

/** What the pack reads of a plan's `members.json`: each member run, by its workflow ID (`region-failover/booking`). */
const MembersFile = z.array(z.looseObject({ runId: z.string() }));

/** What the pack reads of `manifest.json`; a manifest of a kind this version does not know (findings) still reads. */
const ManifestFields = z.looseObject({
  runId: z.string(),
  kind: z.string(),
  runbook: z.string(),
  target: z.string(),
  drill: maybe(z.boolean()),
  state: maybe(z.string()),
  startedAt: maybe(z.string()),
  finishedAt: z.string(),
});
export type ManifestFields = z.infer<typeof ManifestFields>;

/** One bundle of the period, its files read. */
export interface ReadBundle {
  key: string;
  manifest: ManifestFields | undefined;
  definition: DefinitionRecord | undefined;
  report: ReportFile | undefined;
  verify: VerifyFile | undefined;
  findings: FindingsSnapshot | undefined;
  /** A plan's member runs, by workflow ID, from members.json. */
  memberRuns: string[] | undefined;
}

function json<T extends z.ZodType>(schema: T, bytes: Uint8Array | undefined): z.output<T> | undefined {
  if (!bytes) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the files of a stored bundle the pack needs; a file that is absent or unreadable is undefined. */
export function readBundleFiles(stored: StoredBundle): ReadBundle {
  return {
    key: stored.address.key,
    manifest: json(ManifestFields, stored.files[MANIFEST_FILE]),
    definition: json(DefinitionRecord, stored.files[DEFINITION_FILE]),
    report: json(ReportFile, stored.files['report.json']),
    verify: json(VerifyFile, stored.files['verify.json']),
    findings: json(FindingsSnapshot, stored.files[FINDINGS_FILE]),
    memberRuns: json(MembersFile, stored.files['members.json'])?.map((m) => m.runId),
  };
}
