import { resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { repoRoot } from '../lib/paths';
import { lifecycleInterceptorModule } from '../lib/workflow-bundle';

const benchCatalog = resolve(__dirname, 'plan-catalog.ts');
/**
 * The plans catalog as the workflows import it, resolved against the importing file: recovery-plan.ts reads
 * '../plans', membership.ts './index'. `$`: that module exactly, not plans/evacuate-region and the like.
 */
const shippedCatalog = {
  [`${resolve(repoRoot, 'plans')}$`]: benchCatalog,
  [`${resolve(repoRoot, 'plans', 'index')}$`]: benchCatalog,
  [`${resolve(repoRoot, 'plans', 'index.ts')}$`]: benchCatalog,
};

/**
 * The product's workflows with the bench's plan catalog in place of plans/index.ts: the plan's workflow finds its plan
 * by its run ID in that catalog, and each member checks the catalog lists it under its parent's plan, so the synthetic
 * plans run as a shipped one would. Returns the code.
 */
export async function bundleWithBenchPlans(log: (line: string) => void): Promise<string> {
  const bundle = await bundleWorkflowCode({
    workflowsPath: resolve(repoRoot, 'workflows'),
    // As bench/run.ts's bundle: the run ID stamped on every activity, no tracing (its exporter sink is not installed here).
    workflowInterceptorModules: [lifecycleInterceptorModule],
    webpackConfigHook: (config) => ({
      ...config,
      resolve: { ...config.resolve, alias: { ...(config.resolve?.alias as Record<string, string> | undefined), ...shippedCatalog } },
    }),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => log(m) },
  });
  if (!bundle.code.includes('synthetic-')) throw new Error('bench: the plan bundle does not carry bench/plan-catalog.ts; the swap of plans/index.ts missed');
  return bundle.code;
}
