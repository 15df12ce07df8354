import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { repoRoot } from './paths';

/** The prebuilt bundle and its manifest; `npm run build:bundle` writes them. */
export const bundleDir = resolve(repoRoot, '.bundle');
const bundlePath = join(bundleDir, 'workflows.js');
const manifestPath = join(bundleDir, 'manifest.json');

/** The kit's lifecycle interceptors (reset detection, the scheduling run on each activity); tests' bundles carry it too. */
export const lifecycleInterceptorModule = resolve(repoRoot, 'kit/lifecycle-interceptors.ts');

/** Source folders whose code enters the workflow bundle. */
const bundledSources = ['kit', 'workflows', 'runbooks'];

function sourceFiles(path: string): string[] {
  const full = resolve(repoRoot, path);
  if (!existsSync(full)) return [];
  if (statSync(full).isFile()) return [full];
  return readdirSync(full, { withFileTypes: true }).flatMap((entry) => sourceFiles(relative(repoRoot, join(full, entry.name))));
}

/**
 * Workflow interceptors every bundle carries: OpenTelemetry's, for runs that started with them (see the module), so a
 * worker traces runs when given an OTLP endpoint (lib/telemetry.ts) without a bundle of its own. Tests that bundle
 * their own workflows pass these too.
 */
export const workflowInterceptorModules = [
  resolve(repoRoot, 'kit/tracing-interceptors.ts'),
  // Every bundle also carries the lifecycle interceptors: reset detection and the run ID on each scheduled activity.
  lifecycleInterceptorModule,
];

/** A hash of the bundled sources, the SDK version and the interceptors' version, so a stale bundle is never used. */
export function sourceHash(): string {
  const hash = createHash('sha256');
  hash.update(require('@temporalio/worker/package.json').version as string);
  hash.update(`interceptors-opentelemetry@${require('@temporalio/interceptors-opentelemetry/package.json').version as string}`);
  for (const file of bundledSources.flatMap(sourceFiles).sort()) {
    hash.update(relative(repoRoot, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

/** Bundles the workflows and records which sources the bundle was built from. */
export async function buildBundle(workflowsPath = resolve(repoRoot, 'workflows')): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules, logger: quietLogger });
  mkdirSync(bundleDir, { recursive: true });
  writeFileSync(bundlePath, code);
  writeFileSync(manifestPath, JSON.stringify({ sourceHash: sourceHash(), builtAt: new Date().toISOString() }, null, 2));
  return bundlePath;
}

/** The prebuilt bundle's path when it matches the sources; otherwise undefined. */
export function freshBundlePath(): string | undefined {
  if (!existsSync(bundlePath) || !existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { sourceHash?: string };
  return manifest.sourceHash === sourceHash() ? bundlePath : undefined;
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
