import { z } from 'zod';
import type { RecoveryPlanDefinition, RunbookDefinition } from '../../../kit';
import { scenarioTags } from '../../../kit/trust';

/**
 * What a bundle records of the runbook or plan it ran: its id, title, scenarios and objectives as the catalog said
 * when the run was archived. The evidence pack reads a test's scenarios and objectives from here, so a pack made next
 * year still says what each test rehearsed, whatever the catalog says by then.
 */

/** The file a bundle keeps the record in. */
export const DEFINITION_FILE = 'definition.json';

export const DefinitionRecord = z.strictObject({
  lifeboat: z.literal('definition/v1'),
  kind: z.enum(['runbook', 'plan']),
  /** The runbook's id, or the plan's (`evacuate-region`, not its run's `plan/evacuate-region`). */
  id: z.string().min(1).max(200),
  title: z.string().max(500),
  scenarios: z.array(z.enum(scenarioTags)).max(scenarioTags.length),
  objectives: z.strictObject({ rtoSeconds: z.number().nonnegative().optional(), rpoSeconds: z.number().nonnegative().optional() }),
});
export type DefinitionRecord = z.infer<typeof DefinitionRecord>;

type Described =
  Pick<RunbookDefinition, 'id' | 'title' | 'scenarios' | 'objectives'> | Pick<RecoveryPlanDefinition, 'id' | 'title' | 'scenarios' | 'objectives'>;

/** The record of one runbook or plan definition. */
export function definitionRecordOf(kind: DefinitionRecord['kind'], definition: Described): DefinitionRecord {
  const { rtoSeconds, rpoSeconds } = definition.objectives ?? {};
  return {
    lifeboat: 'definition/v1',
    kind,
    id: definition.id,
    title: definition.title,
    scenarios: [...(definition.scenarios ?? [])].sort(),
    objectives: { ...(rtoSeconds !== undefined ? { rtoSeconds } : {}), ...(rpoSeconds !== undefined ? { rpoSeconds } : {}) },
  };
}

/** The bytes of `definition.json`: indented JSON and a newline, so an auditor reads it as it is. */
export function definitionText(record: DefinitionRecord): string {
  return `${JSON.stringify(DefinitionRecord.parse(record), null, 2)}\n`;
}

/** Every runbook and plan of a catalog as records, runbooks first, each kind by id: what the pack's coverage counts. */
export function catalogRecords(runbooks: Readonly<Record<string, Described>>, plans: Readonly<Record<string, Described>>): DefinitionRecord[] {
  const byId = (a: DefinitionRecord, b: DefinitionRecord) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return [
    ...Object.values(runbooks)
      .map((r) => definitionRecordOf('runbook', r))
      .sort(byId),
    ...Object.values(plans)
      .map((p) => definitionRecordOf('plan', p))
      .sort(byId),
  ];
}

/**
 * The catalog's record of what a bundle ran: by its manifest's kind and runbook id (a plan's run is archived under
 * `plan/<id>`). Undefined when the catalog has no such runbook or plan.
 */
export function catalogRecordFor(catalog: readonly DefinitionRecord[], kind: DefinitionRecord['kind'], runbookId: string): DefinitionRecord | undefined {
  const id = kind === 'plan' && runbookId.startsWith('plan/') ? runbookId.slice('plan/'.length) : runbookId;
  return catalog.find((entry) => entry.kind === kind && entry.id === id);
}
