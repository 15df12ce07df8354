import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LedgerEntry, type LedgerRead, type MalformedLedgerLine, type Region } from './schemas';

/**
 * The counter staff's offline ledger: one append-only JSONL file per station under the region's folder,
 * each line fsync'd before it is acknowledged. It needs only the local disk, so it keeps working while the
 * database is down. Reading never hides a damaged line: it comes back under `malformed`.
 */
export class OfflineLedger {
  private readonly dir: string;

  constructor(
    root: string,
    private readonly region: Region,
  ) {
    this.dir = join(root, region);
    mkdirSync(this.dir, { recursive: true });
  }

  private fileOf(station: string): string {
    return join(this.dir, `${station}.jsonl`);
  }

  /** Appends an entry durably; a key already in the station's ledger returns the first entry instead of a second line. */
  append(entry: LedgerEntry): { entry: LedgerEntry; duplicate: boolean } {
    const existing = this.read(entry.station).entries.find((e) => e.idempotencyKey === entry.idempotencyKey);
    if (existing) return { entry: existing, duplicate: true };
    const file = this.fileOf(entry.station);
    // A torn last line (crash mid-write) must not swallow the next entry: start on a fresh line.
    const torn = existsSync(file) && !/(^|\n)$/.test(readFileSync(file, 'utf8'));
    const fd = openSync(file, 'a');
    try {
      writeSync(fd, `${torn ? '\n' : ''}${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return { entry, duplicate: false };
  }

  /** Reads one station's ledger, or all of the region's when no station is given. */
  read(station?: string): LedgerRead {
    const stations = station
      ? [station]
      : existsSync(this.dir)
        ? readdirSync(this.dir)
            .filter((f) => f.endsWith('.jsonl'))
            .map((f) => f.slice(0, -6))
            .sort()
        : [];
    const entries: LedgerEntry[] = [];
    const malformed: MalformedLedgerLine[] = [];
    for (const s of stations) {
      const file = this.fileOf(s);
      if (!existsSync(file)) continue;
      const text = readFileSync(file, 'utf8');
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        const last = i === lines.length - 1;
        if (line === '' && last) return;
        let error: string | undefined;
        try {
          const parsed = LedgerEntry.safeParse(JSON.parse(line));
          if (parsed.success) {
            entries.push(parsed.data);
            return;
          }
          error = parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ');
        } catch (e) {
          error = last ? `truncated line: ${(e as Error).message}` : `not JSON: ${(e as Error).message}`;
        }
        malformed.push({ station: s, lineNumber: i + 1, text: line, error });
      });
    }
    return { region: this.region, entries, malformed };
  }
}
