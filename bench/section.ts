import type { BenchSigning } from './signing';

/** What every benchmark gets from `bench/run.ts`: one dev server and one workflow bundle for the whole run. */
export interface BenchContext {
  /** The dev server's address, e.g. 127.0.0.1:40123 (namespace `default`). */
  address: string;
  /** The product's workflows, bundled once (pass as `workflowBundle: { codePath }`). */
  bundlePath: string;
  /** Progress lines, to stderr, so the table on stdout stays clean. */
  log(line: string): void;
  /** The people of the sample roster with keys, the roster listing them, and a client that signs as them. */
  signing: BenchSigning;
}

/** One table of the report: figures measured side by side in the same run, and the ratios between them. */
export interface BenchSection {
  title: string;
  header: string[];
  rows: string[][];
  /** Ratios and verdicts against targets, one line each. */
  notes?: string[];
}

/** A benchmark: measures, then returns its table, or several. */
export type Benchmark = (ctx: BenchContext) => Promise<BenchSection | BenchSection[]>;
