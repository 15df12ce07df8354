import type { Client } from '@temporalio/client';
import { CliError } from '../errors';

/**
 * The drill run `--proof` names: `<workflow-id>` (its newest run), `<workflow-id>@<temporal-run-id>`, or a Temporal run ID
 * alone. The findings workflow checks the run itself; this only says which run the signed close names.
 */
export async function proofRun(client: Client, proof: string): Promise<{ workflowId: string; temporalRunId: string }> {
  const at = proof.lastIndexOf('@');
  if (at > 0) return { workflowId: proof.slice(0, at), temporalRunId: proof.slice(at + 1) };
  if (proof.includes('/')) {
    const description = await client.workflow
      .getHandle(proof)
      .describe()
      .catch(() => undefined);
    if (description) return { workflowId: proof, temporalRunId: description.runId };
  } else if (/^[A-Za-z0-9-]{1,200}$/.test(proof)) {
    for await (const wf of client.workflow.list({ query: `RunId = '${proof}'` })) return { workflowId: wf.workflowId, temporalRunId: wf.runId };
  }
  throw new CliError(`no drill run ${proof} in this namespace`, {
    code: 'not-found',
    suggestion: 'name the passing drill by its run id (lifeboat list --runbook R shows it), such as region-failover/booking',
  });
}
