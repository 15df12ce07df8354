import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { ObjectBackend } from './store';

/**
 * An evidence store in a folder: each bundle a folder of files, as `lifeboat evidence get` hands them out. For the
 * demo, tests and a site whose archive is a mounted volume; production with an immutable retention uses S3.
 */
export class DirectoryBackend implements ObjectBackend {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get location(): string {
    return this.root;
  }

  async listNames(under = ''): Promise<string[]> {
    // Start from the deepest folder the prefix names, so listing one runbook does not walk the whole archive.
    const folder = under.includes('/') ? under.slice(0, under.lastIndexOf('/')) : '';
    const start = this.pathOf(folder);
    if (!existsSync(start)) return [];
    const entries = await readdir(start, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile() && !entry.name.endsWith('.partial'))
      .map((entry) => relative(this.root, join(entry.parentPath, entry.name)).split(sep).join('/'))
      .filter((name) => name.startsWith(under));
  }

  async read(name: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.pathOf(name)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(name);
    await mkdir(dirname(path), { recursive: true });
    // Written aside and renamed, so a crash never leaves half a file that looks like evidence.
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, bytes, { flag: 'wx' });
    await rename(partial, path);
  }

  private pathOf(name: string): string {
    const path = resolve(this.root, name);
    if (path !== this.root && !path.startsWith(this.root + sep)) throw new Error(`${name} is outside the evidence folder ${this.root}`);
    return path;
  }
}
