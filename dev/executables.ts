import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Whether `path` is a file this process may execute. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where `name` is found on PATH (then in `extraDirs`), or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env, extraDirs: string[] = []): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter).concat(extraDirs)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}
