import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEvidenceStore } from '../lib/evidence/open-store';
import { buildEvidencePack, catalogRecords, renderPackHtml } from '../lib/evidence/pack';
import { htmlToPdf } from '../lib/evidence/pack/pdf';
import { verifyArchive } from '../lib/evidence/verify-archive';
import { plans } from '../plans';
import { runbooks } from '../runbooks';
import { writeEvidenceYear, yearRosterIn } from '../test/support/evidence-year';
import type { BenchContext, BenchSection } from './section';
import { median, ms, timed } from './stats';

/** The archive sizes measured side by side: a small site's year, and the issue's thousand runs. */
const SIZES = [100, 1_000] as const;
/** Each figure is the median of this many rounds; the archives are written once. */
const ROUNDS = 3;
const SEED = 2026;
const period = { since: new Date('2026-01-01T00:00:00.000Z'), until: new Date('2026-12-31T23:59:59.999Z') };

interface Figures {
  runs: number;
  archiveBytes: number;
  writeMs: number;
  verifyMs: number;
  packMs: number;
  htmlMs: number;
  htmlBytes: number;
  pdfMs: number;
  pdfBytes: number;
  pdfPages: number;
  verified: boolean;
}

/**
 * What the evidence pack costs as the archive grows: a simulated year of sealed runs (test/support/evidence-year.ts)
 * of 100 and of 1,000 bundles in folder archives, and for each the pack's assembly from the archive (every seal and
 * chain checked, every bundle of the period read), its HTML, its PDF through Chromium, and verifying the whole
 * archive's files, seals and chains as `lifeboat evidence verify --all` does before it re-checks decisions. No Temporal
 * server is used.
 */
export async function evidenceBenchmark(ctx: BenchContext): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-evidence-'));
  try {
    const { signer, roster } = await yearRosterIn(dir);
    const catalog = catalogRecords(runbooks, plans);
    const archives = [];
    for (const runs of SIZES) {
      ctx.log(`evidence: sealing a simulated year of ${runs} runs`);
      const path = join(dir, `archive-${runs}`);
      const written = await timed(() => writeEvidenceYear(openEvidenceStore(path), { seed: SEED, runs, signer, roster }));
      archives.push({ runs, path, writeMs: written.ms });
    }
    const rounds = new Map<number, { verify: number[]; pack: number[]; html: number[]; pdf: number[] }>(
      SIZES.map((runs) => [runs, { verify: [], pack: [], html: [], pdf: [] }]),
    );
    const last = new Map<number, { html: string; pdf: Buffer; verified: boolean }>();
    // Rounds alternate between the sizes, so a slow moment of the machine falls on both alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const archive of archives) {
        ctx.log(`evidence: round ${round + 1} of ${ROUNDS}, ${archive.runs} runs`);
        const store = openEvidenceStore(archive.path);
        const times = rounds.get(archive.runs)!;
        const verified = await timed(() => verifyArchive(store));
        const pack = await timed(() => buildEvidencePack(store, { ...period, catalog }));
        const html = await timed(async () => renderPackHtml(pack.value, { madeAt: new Date('2027-01-05T09:00:00.000Z') }));
        const pdfFile = join(dir, `pack-${archive.runs}.pdf`);
        const pdf = await timed(() => htmlToPdf(html.value, pdfFile));
        times.verify.push(verified.ms);
        times.pack.push(pack.ms);
        times.html.push(html.ms);
        times.pdf.push(pdf.ms);
        last.set(archive.runs, { html: html.value, pdf: readFileSync(pdfFile), verified: verified.value.ok && pack.value.integrity.ok });
      }
    }
    const figures: Figures[] = archives.map((archive) => {
      const times = rounds.get(archive.runs)!;
      const out = last.get(archive.runs)!;
      return {
        runs: archive.runs,
        archiveBytes: folderBytes(archive.path),
        writeMs: archive.writeMs,
        verifyMs: median(times.verify),
        packMs: median(times.pack),
        htmlMs: median(times.html),
        htmlBytes: Buffer.byteLength(out.html),
        pdfMs: median(times.pdf),
        pdfBytes: out.pdf.length,
        pdfPages: pdfPageCount(out.pdf),
        verified: out.verified,
      };
    });
    return section(figures);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function section(figures: Figures[]): BenchSection {
  const [small, large] = figures as [Figures, Figures];
  const ratio = (key: keyof Figures) => `${((large[key] as number) / (small[key] as number)).toFixed(1)}x`;
  const row = (label: string, key: keyof Figures, show: (f: Figures) => string) => [label, ...figures.map(show), ratio(key)];
  return {
    title: `Evidence pack over a simulated year (${figures.map((f) => f.runs).join(' and ')} sealed runs, medians of ${ROUNDS} rounds)`,
    header: ['', ...figures.map((f) => `${f.runs} runs`), `${large.runs} / ${small.runs}`],
    rows: [
      row('archive on disk', 'archiveBytes', (f) => size(f.archiveBytes)),
      row('sealing the year (once)', 'writeMs', (f) => ms(f.writeMs)),
      row('evidence verify --all (files, seals, chains)', 'verifyMs', (f) => ms(f.verifyMs)),
      row('pack: assemble (verify + read the period)', 'packMs', (f) => ms(f.packMs)),
      row('pack: render HTML', 'htmlMs', (f) => ms(f.htmlMs)),
      row('pack: HTML size', 'htmlBytes', (f) => size(f.htmlBytes)),
      row('pack: print PDF (Chromium)', 'pdfMs', (f) => ms(f.pdfMs)),
      row('pack: PDF size', 'pdfBytes', (f) => size(f.pdfBytes)),
      row('pack: PDF pages', 'pdfPages', (f) => String(f.pdfPages)),
    ],
    notes: [
      `archive and pack integrity: ${figures.map((f) => `${f.runs} runs ${f.verified ? 'verified' : 'DID NOT VERIFY'}`).join(', ')}`,
      `assemble + HTML + PDF for ${large.runs} runs: ${ms(large.packMs + large.htmlMs + large.pdfMs)} (${small.runs} runs: ${ms(small.packMs + small.htmlMs + small.pdfMs)})`,
      'verify is the archive check (every file, seal and hash chain); `lifeboat evidence verify` also re-checks each decision from its history, which the simulated stand-in histories cannot pass, so that part is not in these figures',
      'folder archives on the local disk; an S3 archive adds a round trip per object read',
      `load average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(', ')} on ${cpus().length} cores (the machine is shared: figures move with it)`,
    ],
  };
}

function folderBytes(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  return total;
}

/** Pages as the PDF's page objects count them (Chromium writes one `/Type /Page` per page). */
function pdfPageCount(pdf: Buffer): number {
  return (pdf.toString('latin1').match(/\/Type\s*\/Page\b/g) ?? []).length;
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} KB`;
}
