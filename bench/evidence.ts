import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { decisionRecheck } from '../cli/evidence/recheck-decisions';
import { openEvidenceStore } from '../lib/evidence/open-store';
import { buildEvidencePack, catalogRecords, renderPackHtml } from '../lib/evidence/pack';
import { htmlToPdf } from '../lib/evidence/pack/pdf';
import { verifyArchive } from '../lib/evidence/verify-archive';
import { plans } from '../plans';
import { runbooks } from '../runbooks';
import { writeEvidenceYear, yearRosterIn } from '../test/support/evidence-year';
import { recordedYear } from '../test/support/evidence-year-histories';
import type { BenchContext, BenchSection } from './section';
import { median, ms, timed } from './stats';

/** The archive sizes measured side by side: a small site's year, and the thousand runs. */
const SIZES = [100, 1_000] as const;
/** Each figure is the median of this many rounds; the archives are written once. */
const ROUNDS = 3;
const SEED = 2026;
const period = { since: new Date('2026-01-01T00:00:00.000Z'), until: new Date('2026-12-31T23:59:59.999Z') };
const bin = resolve(__dirname, '..', 'bin', 'lifeboat.js');

/** The bin's own check (plain JavaScript): the compiled `cli/main.js` when the build matches the sources, else undefined. */
const { freshCompiledMain } = require('../bin/compiled-cli') as { freshCompiledMain(): string | undefined };

interface Figures {
  runs: number;
  bundles: number;
  archiveBytes: number;
  writeMs: number;
  verifyMs: number;
  recheckMs: number;
  packMs: number;
  htmlMs: number;
  htmlBytes: number;
  pdfMs: number;
  pdfBytes: number;
  pdfPages: number;
  cliVerifyMs: number;
  cliHtmlMs: number;
  cliHtmlBytes: number;
  cliPdfMs: number;
  cliPdfBytes: number;
  cliPdfPages: number;
  /** What each command said last: its exit code, and whether the in-process checks verified. */
  verdicts: { verified: boolean; rechecked: boolean; cliVerify: number; cliHtml: number; cliPdf: number; cliHtmlVerified: boolean };
}

interface Rounds {
  verify: number[];
  recheck: number[];
  pack: number[];
  html: number[];
  pdf: number[];
  cliVerify: number[];
  cliHtml: number[];
  cliPdf: number[];
}

/**
 * What the evidence pack costs as the archive grows: a simulated year of sealed runs (test/support/evidence-year.ts)
 * of 100 and of 1,000 bundles in folder archives. Each bundle's history is a real recorded run of its runbook and
 * target (or of the plan), whose signed decisions verify against the bundle's roster, so the decision re-check that
 * `lifeboat evidence verify` and `lifeboat evidence pack` run is measured too. Measured in process (the archive check
 * alone, then with the re-check; the pack's assembly, HTML and PDF), and through the real CLI as child processes,
 * as an examiner runs it. No Temporal server is used.
 */
export async function evidenceBenchmark(ctx: BenchContext): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-evidence-'));
  try {
    const { signer, roster } = yearRosterIn(dir);
    const catalog = catalogRecords(runbooks, plans);
    const recheck = decisionRecheck({
      decode: async (payloads) => payloads.map((p) => defaultPayloadConverter.fromPayload(p)),
      codecHint: 'the recorded runs are not encrypted',
      namespace: 'default',
    });
    const archives = [];
    for (const runs of SIZES) {
      ctx.log(`evidence: sealing a simulated year of ${runs} runs`);
      const path = join(dir, `archive-${runs}`);
      const written = await timed(() => writeEvidenceYear(openEvidenceStore(path), { seed: SEED, runs, signer, roster }));
      archives.push({ runs, path, writeMs: written.ms, bundles: written.value.bundles + written.value.findingsBundles });
    }
    const rounds = new Map<number, Rounds>(
      SIZES.map((runs) => [runs, { verify: [], recheck: [], pack: [], html: [], pdf: [], cliVerify: [], cliHtml: [], cliPdf: [] }]),
    );
    const last = new Map<number, { html: string; pdf: Buffer; cliHtml: string; cliPdf: Buffer; verdicts: Figures['verdicts'] }>();
    // Rounds alternate between the sizes, so a slow moment of the machine falls on both alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const archive of archives) {
        ctx.log(`evidence: round ${round + 1} of ${ROUNDS}, ${archive.runs} runs`);
        const store = openEvidenceStore(archive.path);
        const times = rounds.get(archive.runs)!;
        const verified = await timed(() => verifyArchive(store));
        const rechecked = await timed(() => verifyArchive(store, undefined, { recheck }));
        const pack = await timed(() => buildEvidencePack(store, { ...period, catalog }));
        const html = await timed(async () => renderPackHtml(pack.value, { madeAt: new Date('2027-01-05T09:00:00.000Z') }));
        const pdfFile = join(dir, `pack-${archive.runs}.pdf`);
        const pdf = await timed(() => htmlToPdf(html.value, pdfFile));
        const cliVerify = await lifeboat(['evidence', 'verify', '--all', '--store', archive.path]);
        const cliHtmlFile = join(dir, `cli-pack-${archive.runs}.html`);
        const cliHtml = await lifeboat(['evidence', 'pack', ...packPeriod, '--format', 'html', '--out', cliHtmlFile, '--store', archive.path]);
        const cliPdfFile = join(dir, `cli-pack-${archive.runs}.pdf`);
        const cliPdf = await lifeboat(['evidence', 'pack', ...packPeriod, '--format', 'pdf', '--out', cliPdfFile, '--store', archive.path]);
        times.verify.push(verified.ms);
        times.recheck.push(rechecked.ms);
        times.pack.push(pack.ms);
        times.html.push(html.ms);
        times.pdf.push(pdf.ms);
        times.cliVerify.push(cliVerify.ms);
        times.cliHtml.push(cliHtml.ms);
        times.cliPdf.push(cliPdf.ms);
        for (const [label, run] of [
          ['verify', cliVerify],
          ['pack html', cliHtml],
          ['pack pdf', cliPdf],
        ] as const)
          if (run.code !== 0) ctx.log(`evidence: lifeboat evidence ${label} over ${archive.runs} runs exited ${run.code}: ${run.stderr.trim().slice(0, 500)}`);
        const cliHtmlText = readFileSync(cliHtmlFile, 'utf8');
        last.set(archive.runs, {
          html: html.value,
          pdf: readFileSync(pdfFile),
          cliHtml: cliHtmlText,
          cliPdf: readFileSync(cliPdfFile),
          verdicts: {
            verified: verified.value.ok && pack.value.integrity.ok,
            rechecked: rechecked.value.ok,
            cliVerify: cliVerify.code,
            cliHtml: cliHtml.code,
            cliPdf: cliPdf.code,
            cliHtmlVerified: cliHtmlText.includes('VERIFIED') && !cliHtmlText.includes('NOT VERIFIED'),
          },
        });
      }
    }
    const figures: Figures[] = archives.map((archive) => {
      const times = rounds.get(archive.runs)!;
      const out = last.get(archive.runs)!;
      return {
        runs: archive.runs,
        bundles: archive.bundles,
        archiveBytes: folderBytes(archive.path),
        writeMs: archive.writeMs,
        verifyMs: median(times.verify),
        recheckMs: median(times.recheck),
        packMs: median(times.pack),
        htmlMs: median(times.html),
        htmlBytes: Buffer.byteLength(out.html),
        pdfMs: median(times.pdf),
        pdfBytes: out.pdf.length,
        pdfPages: pdfPageCount(out.pdf),
        cliVerifyMs: median(times.cliVerify),
        cliHtmlMs: median(times.cliHtml),
        cliHtmlBytes: Buffer.byteLength(out.cliHtml),
        cliPdfMs: median(times.cliPdf),
        cliPdfBytes: out.cliPdf.length,
        cliPdfPages: pdfPageCount(out.cliPdf),
        verdicts: out.verdicts,
      };
    });
    return section(figures);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const packPeriod = ['--since', '2026-01-01', '--until', '2026-12-31'];

/** `lifeboat <args>` as a child process, timed from spawn to exit; no trust root (the bench's roster has no admins' seal). */
function lifeboat(args: string[]): Promise<{ code: number; ms: number; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.LIFEBOAT_TRUST_ROOT;
  delete env.LIFEBOAT_EVIDENCE_STORE;
  return new Promise((done, fail) => {
    const start = performance.now();
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, ms: performance.now() - start, stderr }));
  });
}

function section(figures: Figures[]): BenchSection {
  const [small, large] = figures as [Figures, Figures];
  const ratio = (key: keyof Figures) => `${((large[key] as number) / (small[key] as number)).toFixed(1)}x`;
  const row = (label: string, key: keyof Figures, show: (f: Figures) => string) => [label, ...figures.map(show), ratio(key)];
  const time = (key: keyof Figures) => (f: Figures) => ms(f[key] as number);
  const bytes = (key: keyof Figures) => (f: Figures) => size(f[key] as number);
  const verdict = (f: Figures) =>
    `${f.runs} runs: in process ${f.verdicts.verified ? 'verified' : 'DID NOT VERIFY'}, with the re-check ${f.verdicts.rechecked ? 'verified' : 'DID NOT VERIFY'}; ` +
    `CLI verify --all exit ${f.verdicts.cliVerify}, pack html exit ${f.verdicts.cliHtml} (${f.verdicts.cliHtmlVerified ? 'VERIFIED' : 'NOT VERIFIED'} on its first page), pack pdf exit ${f.verdicts.cliPdf}`;
  const histories = recordedYear().runs;
  return {
    title: `Evidence over a simulated year (${figures.map((f) => f.runs).join(' and ')} sealed runs with real histories, medians of ${ROUNDS} rounds)`,
    header: ['', ...figures.map((f) => `${f.runs} runs`), `${large.runs} / ${small.runs}`],
    rows: [
      row('bundles (runs + findings)', 'bundles', (f) => String(f.bundles)),
      row('archive on disk', 'archiveBytes', bytes('archiveBytes')),
      row('sealing the year (once)', 'writeMs', time('writeMs')),
      row('in process: files, seals, chains', 'verifyMs', time('verifyMs')),
      row('in process: + decision re-check', 'recheckMs', time('recheckMs')),
      row('in process: pack assemble (no re-check)', 'packMs', time('packMs')),
      row('in process: pack render HTML', 'htmlMs', time('htmlMs')),
      row('in process: pack print PDF', 'pdfMs', time('pdfMs')),
      row('CLI: lifeboat evidence verify --all', 'cliVerifyMs', time('cliVerifyMs')),
      row('CLI: lifeboat evidence pack --format html', 'cliHtmlMs', time('cliHtmlMs')),
      row('CLI: lifeboat evidence pack --format pdf', 'cliPdfMs', time('cliPdfMs')),
      row('CLI pack: HTML file size', 'cliHtmlBytes', bytes('cliHtmlBytes')),
      row('CLI pack: PDF file size', 'cliPdfBytes', bytes('cliPdfBytes')),
      row('CLI pack: PDF pages', 'cliPdfPages', (f) => String(f.cliPdfPages)),
    ],
    notes: [
      ...figures.map(verdict),
      `CLI figures are whole processes from spawn to exit (${freshCompiledMain() ? 'the compiled build' : 'the TypeScript sources through tsx, as the build did not match the sources'}), and include verifying every seal and chain and re-checking every signed decision from each bundle's history, as the commands always do; the pack also reads every bundle of the period`,
      `real: each bundle's history.json, one of ${histories.length} runs recorded through the CLI on a Temporal dev server (test/fixtures/evidence-year: each runbook on each target the year tests and the evacuate-region plan, requested by alice or erin, each a signed start and a signed abort) under the bundle's own workflow ID and Temporal run ID, signed by the test people's keys, and re-checked against the bundle's roster.json, the roster those runs loaded`,
      "simulated: how many runs, when they finished, and what their report.json, report.html and verify.json say (approvers, operators, RTO, pass or fail), from the seed; bundles of the same runbook, target and requester share one recorded history, so the re-check's work per bundle is a real run's but the histories' variety is not",
      "folder archives on the local disk, no trust root (the roster carries no admins' seal here); an S3 archive adds a round trip per object read",
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
