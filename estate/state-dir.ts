import { chmodSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The checkout's root, so the estate finds its own files wherever it is started from. */
export const repoRoot = resolve(__dirname, '..');

/**
 * Where the estate keeps its data dirs, logs, pids, ledgers and catalog.
 * Git-ignored `.state/estate/` by default; `LIFEBOAT_ESTATE_DIR` moves it (tests use temp dirs).
 */
export function estateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.LIFEBOAT_ESTATE_DIR ?? join(repoRoot, '.state', 'estate'));
}

/** The fixed layout below an estate dir, so every part agrees on where things live. */
export function estateLayout(dir: string) {
  return {
    dir,
    catalog: join(dir, 'catalog.json'),
    run: join(dir, 'run'),
    logs: join(dir, 'logs'),
    ledger: join(dir, 'ledger'),
    modes: join(dir, 'modes'),
    pgData: (region: string) => join(dir, 'pg', region),
    haproxyConfig: join(dir, 'haproxy', 'haproxy.cfg'),
    haproxyMap: join(dir, 'haproxy', 'active.map'),
    loadCounters: join(dir, 'load.json'),
    loadAcked: join(dir, 'load-acked.jsonl'),
  };
}
export type EstateLayout = ReturnType<typeof estateLayout>;

/** Creates the folders of a layout that processes write into. */
export function ensureLayout(layout: EstateLayout): void {
  for (const d of [layout.dir, layout.run, layout.logs, layout.ledger, layout.modes, join(layout.dir, 'pg'), join(layout.dir, 'haproxy')]) {
    mkdirSync(d, { recursive: true });
  }
  // PostgreSQL runs as an unprivileged user and must be able to reach its data dirs below this one.
  chmodSync(layout.dir, 0o755);
}
