import type { Notification } from '../kit';

/** Where on a run's console page a notice sends its reader: the open gate, the step waiting for an operator, or the top. */
const anchors: Partial<Record<Notification['kind'], string>> = {
  'approval-needed': '#gate',
  escalation: '#gate',
  'intervention-needed': '#intervention',
};

/**
 * The console page a notification links to (`https://console.example.com/run/plan/evacuate-region/A#gate`): the run's
 * page, at the part that needs the reader. The link only opens the page; whoever approves there signs with their own
 * passkey, and the run checks the signature, so the message itself carries no authority. Each segment of the run ID
 * is percent-encoded, as the console decodes them.
 */
export function consoleLinkOf(consoleUrl: string, n: Pick<Notification, 'kind' | 'runId'>): string {
  const path = n.runId.split('/').map(encodeURIComponent).join('/');
  return `${consoleUrl.replace(/\/+$/, '')}/run/${path}${anchors[n.kind] ?? ''}`;
}

/** What the link is for, in the words of the notice: the gate is approved there, with a passkey, not in the chat. */
export function consoleLinkText(kind: Notification['kind']): string {
  if (kind === 'approval-needed' || kind === 'escalation') return 'Open the gate in the Lifeboat console (approve there with your passkey)';
  if (kind === 'intervention-needed') return 'Open the step in the Lifeboat console (decide there with your passkey)';
  return 'Open the run in the Lifeboat console';
}
