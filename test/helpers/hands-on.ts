import type { WorkflowHandle } from '@temporalio/client';
import { createHttpFleet } from '../../providers/http/fleet';
import { HostScope, scopeLabel } from '../../runbooks/isolate-vendor-module';
import { approveUpdate, runIdFor, type RunStatus } from '../../kit';
import { waitForStatus, type TemporalTestContext } from './temporal';

/** The hands-on checklist as status publishes it (at most 500 items; the counts cover all). */
export interface HandsOnView {
  open: number;
  done: number;
  waived: number;
  tasks: { host: string; status: string; by?: string }[];
}

export const handsOnOf = (s: RunStatus) => s.details.handsOn as HandsOnView;

/**
 * A faulty push that crashes every hands-on-only host in `scope` of the fleet at `fleetUrl`, and an
 * `isolate-vendor-module` run over it that alice starts and erin approves, waiting once every such host is on the
 * hands-on checklist: what a field team then closes.
 */
export async function runWaitingForHands(
  ctx: TemporalTestContext,
  taskQueue: string,
  fleetUrl: string,
  scope: { region: string; tags: string[] },
): Promise<{ handle: WorkflowHandle; runId: string; open: string[] }> {
  await createHttpFleet({ url: fleetUrl }).pushContentUpdate({ version: 'C-00000291', faulty: true, crashRate: 1, scope });
  const handle = await ctx.client.workflow.start('isolateVendorModule', {
    taskQueue,
    workflowId: runIdFor('isolate-vendor-module', scopeLabel(HostScope.parse(scope))),
    args: [
      {
        input: { scope, badVersion: 'C-00000291', goodVersion: 'C-00000290', waves: { canary: 5, sizes: ['100%'] }, handsOnDeadline: '30 minutes' },
        requestedBy: 'alice',
      },
    ],
  });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  await handle.executeUpdate(approveUpdate, { args: [{ by: 'erin' }] });
  const waiting = await waitForStatus(handle, (s) => s.currentStep === 'handsOn' && handsOnOf(s).open === handsOnOf(s).tasks.length);
  return { handle, runId: handle.workflowId, open: handsOnOf(waiting).tasks.map((t) => t.host) };
}
