import { SAFE_TARGET } from '../../kit';
import type { AlertRule } from './rules';

/** What a label value looks like in a refusal: quoted, and cut short, so a long or hostile value is seen, not obeyed. */
export function shownValue(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

/** The runbook input a rule builds from its fixed input and the alert's labels, or why it refuses to. */
export type LabelInput = { ok: true; raw: Record<string, unknown> } | { ok: false; refusal: string };

/**
 * Builds a rule's raw input from the alert's labels. Labels come from whoever can post an alert, so each value the rule
 * takes must be in the safe target set (letters, digits, ".", "_", "-", at most 128) whatever field it feeds: it may
 * become the run's target and so its workflow ID. A refusal names the label, the field and the rule.
 */
export function inputFromLabels(rule: AlertRule, labels: Record<string, string>): LabelInput {
  const raw: Record<string, unknown> = structuredClone(rule.input);
  for (const [field, label] of Object.entries(rule.inputFromLabels)) {
    const value = labels[label];
    if (value === undefined) return { ok: false, refusal: `the alert has no label "${label}" for input field ${field} (rule ${rule.name})` };
    if (!SAFE_TARGET.test(value)) {
      return {
        ok: false,
        refusal:
          `label "${label}" is ${shownValue(value)}, which rule ${rule.name} would put into input field ${field}: a label the rule takes input ` +
          'from may hold only letters, digits, ".", "_" and "-" (at most 128, starting with a letter or digit), since it can become part of a run ID; nothing was started',
      };
    }
    raw[field] = value;
  }
  return { ok: true, raw };
}

/** Which labels fed which input fields, for a refusal by the runbook's own schema: `team (label team)`. */
export function labelSources(rule: AlertRule): string {
  const fed = Object.entries(rule.inputFromLabels).map(([field, label]) => `${field} from label "${label}"`);
  return fed.length ? ` (input ${fed.join(', ')})` : '';
}
