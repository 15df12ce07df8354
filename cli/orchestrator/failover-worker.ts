import type { Worker } from '@temporalio/worker';

/**
 * The local namespace a region's worker also polls, where failovers of the orchestrator are decided
 * (`lifeboat orchestrator failover`): LIFEBOAT_ORCHESTRATOR_NAMESPACE, set on the workers of every region when the
 * orchestrator runs on replicated clusters; none otherwise.
 */
export function orchestratorNamespaceToPoll(env: NodeJS.ProcessEnv): string | undefined {
  const named = env.LIFEBOAT_ORCHESTRATOR_NAMESPACE?.trim();
  return named ? named : undefined;
}

/**
 * Runs the worker's main loop (`run`, which ends when `main` stops) and the worker on the orchestrator's local
 * namespace together: when either fails or ends, the other is shut down too, so a process never keeps half a worker
 * (a region that could not decide a failover would look healthy).
 */
export async function runWithOrchestratorWorker(main: Worker, run: () => Promise<void>, orchestrator: Worker | undefined): Promise<void> {
  if (!orchestrator) return run();
  const stop = (worker: Worker) => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  const results = await Promise.allSettled([run().finally(() => stop(orchestrator)), orchestrator.run().finally(() => stop(main))]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
