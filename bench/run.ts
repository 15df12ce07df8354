import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { startDevServer } from '../dev/dev-server';
import { freePort } from '../lib/free-port';
import { requireTemporalCli } from '../dev/temporal-binaries';
import { lifecycleInterceptorModule } from '../lib/workflow-bundle';
import { consoleBenchmark } from './console';
import { detectionBenchmark } from './detection';
import { estateStartBenchmark } from './estate-start';
import { evidenceBenchmark } from './evidence';
import { failoverBenchmark } from './failover';
import { fleetScaleBenchmark } from './fleet-scale';
import { floodBenchmark } from './flood';
import { kitBenchmark } from './kit';
import { lifecycleBenchmark } from './lifecycle';
import { orchestratorBenchmark } from './orchestrator';
import { planBenchmark } from './plan';
import { readinessBenchmark } from './readiness';
import { scaleBenchmark } from './scale';
import { benchSigning } from './signing';
import { tracingBenchmark } from './tracing';
import type { Benchmark, BenchSection } from './section';
import { table } from '../cli/render';

/** Every benchmark, by the name `npm run bench -- <name>` selects it with. */
const benchmarks: Record<string, Benchmark> = {
  kit: kitBenchmark,
  failover: failoverBenchmark,
  'fleet-scale': fleetScaleBenchmark,
  flood: floodBenchmark,
  readiness: readinessBenchmark,
  detection: detectionBenchmark,
  console: consoleBenchmark,
  scale: scaleBenchmark,
  tracing: tracingBenchmark,
  lifecycle: lifecycleBenchmark,
  'estate-start': estateStartBenchmark,
  plan: planBenchmark,
  evidence: evidenceBenchmark,
  orchestrator: orchestratorBenchmark,
};

async function main(): Promise<void> {
  // Flags (`--quick`) are for the benchmarks that read them; the rest are benchmark names.
  const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const unknown = wanted.filter((name) => !(name in benchmarks));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark ${unknown.join(', ')}; choose from: ${Object.keys(benchmarks).join(', ')}\n`);
    process.exit(2);
  }
  const selected = wanted.length ? wanted : Object.keys(benchmarks);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const log = (line: string) => process.stderr.write(`  ${line}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-'));
  log('starting a dev server and bundling the workflows...');
  const [server, bundle] = await Promise.all([
    (async () => startDevServer({ binary: requireTemporalCli().path, port: await freePort(), logFile: join(dir, 'temporal.log') }))(),
    // The product's workflows plus the test-only ones the kit benchmark compares against.
    bundleWorkflowCode({
      workflowsPath: resolve(__dirname, '..', 'test', 'workflows'),
      // The run ID stamped on every activity, so the activity guard's header check runs as it does in production.
      workflowInterceptorModules: [lifecycleInterceptorModule],
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => log(m) },
    }),
  ]);
  const bundlePath = join(dir, 'workflows.js');
  writeFileSync(bundlePath, bundle.code);
  const signing = await benchSigning(dir);
  const sections: BenchSection[] = [];
  try {
    for (const name of selected) {
      log(`running ${name}...`);
      sections.push(...[await benchmarks[name]!({ address: server.address, bundlePath, log, signing })].flat());
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const cpus = require('node:os').cpus() as unknown[];
  process.stdout.write(`Lifeboat benchmarks, ${new Date().toISOString()}, ${cpus.length} cores, node ${process.version}\n`);
  for (const section of sections) {
    process.stdout.write(`\n## ${section.title}\n\n${table([section.header, ...section.rows])}\n`);
    for (const note of section.notes ?? []) process.stdout.write(`  - ${note}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
