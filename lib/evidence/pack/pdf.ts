import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CliError } from '../../command-error';

/**
 * Prints the evidence pack's HTML to PDF with Debian's headless Chromium, the browser the HTML report's tests already
 * use. The pack is printed as the reader's browser would print it, so the PDF and the HTML say the same thing.
 */

/** The Chromium program: Debian's `chromium` package puts it on the PATH. */
const CHROMIUM = 'chromium';

/** A pack of a few thousand runs prints in seconds; a browser stuck for minutes is not going to finish. */
const PRINT_TIMEOUT_MS = 300_000;

/**
 * Prints `html` to a PDF at `outFile`: A4, backgrounds printed (the pass and fail colours carry meaning), no header or
 * footer, and nothing fetched from the network. Two PDFs of the same HTML differ only in their CreationDate and
 * ModDate. Throws a CliError naming the package to install when Chromium is missing, and one quoting Chromium when
 * it fails.
 */
export async function htmlToPdf(html: string, outFile: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'lifeboat-pdf-'));
  try {
    const page = join(work, 'pack.html');
    await writeFile(page, printable(html));
    // Printed beside the page first: a PDF already at outFile is replaced only by one Chromium surely wrote.
    const printed = join(work, 'pack.pdf');
    await printWithChromium(pathToFileURL(page).href, printed, join(work, 'profile'));
    await writeFile(outFile, await readPdf(printed));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The page as it is printed. A Content-Security-Policy lets the page use only its own inline styles and `data:`
 * images: an evidence pack is self-contained, and a reference to anything outside it must not be fetched while it
 * prints. The print style asks for A4 (Chromium's headless printer honours a page's own `@page` size) and for
 * backgrounds, which a browser leaves out of print unless told.
 */
function printable(html: string): string {
  const policy = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:">`;
  const printStyle = `<style>@page { size: A4; } html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }</style>`;
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (!head) return `${policy}${printStyle}${html}`;
  const afterHead = head.index + head[0].length;
  const headEnd = html.slice(afterHead).search(/<\/head>/i);
  // The policy goes first so that it covers everything after it; the print style last so that its page size wins.
  if (headEnd < 0) return html.slice(0, afterHead) + policy + printStyle + html.slice(afterHead);
  const beforeHeadEnd = afterHead + headEnd;
  return html.slice(0, afterHead) + policy + html.slice(afterHead, beforeHeadEnd) + printStyle + html.slice(beforeHeadEnd);
}

async function printWithChromium(pageUrl: string, outFile: string, profile: string): Promise<void> {
  const args = [
    '--headless',
    '--disable-gpu',
    // Chromium refuses to start as root with its sandbox on; the page is our own HTML under a policy that blocks fetching.
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    // A profile of its own: a person's open browser, or a second print at the same time, never shares it.
    `--user-data-dir=${profile}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-extensions',
    '--disable-sync',
    '--disable-background-networking',
    '--disable-component-update',
    // No name resolves, so nothing the browser itself might reach for goes out either.
    '--host-resolver-rules=MAP * ~NOTFOUND',
    '--no-pdf-header-footer',
    `--print-to-pdf=${outFile}`,
    pageUrl,
  ];
  try {
    await promisify(execFile)(CHROMIUM, args, { timeout: PRINT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const error = err as NodeJS.ErrnoException & { stderr?: string; killed?: boolean };
    if (error.code === 'ENOENT') {
      throw new CliError('cannot print the evidence pack to PDF: Chromium is not installed (no `chromium` on the PATH)', {
        code: 'chromium-missing',
        suggestion: "install Debian's chromium package (apt-get install chromium), or make the pack with --format html",
      });
    }
    const why = error.killed ? `it did not finish within ${PRINT_TIMEOUT_MS / 1000} s` : lastLines(error.stderr ?? error.message);
    throw new CliError(`Chromium could not print the evidence pack to PDF: ${why}`, {
      code: 'pdf-failed',
      suggestion: 'make the pack with --format html, and print that',
    });
  }
}

/** Chromium can exit 0 without writing the file (a page it could not load): a PDF that is not there is an error here. */
async function readPdf(file: string): Promise<Buffer> {
  const bytes = await readFile(file).catch(() => undefined);
  if (!bytes || bytes.subarray(0, 5).toString('latin1') !== '%PDF-') {
    throw new CliError('Chromium exited without writing a PDF of the evidence pack', {
      code: 'pdf-failed',
      suggestion: 'make the pack with --format html, and print that',
    });
  }
  return bytes;
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' / ');
}
