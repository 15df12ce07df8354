import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { CliError } from '../../lib/command-error';
import { htmlToPdf } from '../../lib/evidence/pack/pdf';

/** The evidence pack's PDF: printed by Debian's headless Chromium from the pack's HTML. */

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-pack-pdf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const page = (body: string) =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Pack</title><style>.ok { background: #1a7f37; color: #fff; }</style></head><body>${body}</body></html>`;

/** A PDF's text with its two clocks (when it was made) taken out. */
const withoutDates = (pdf: Buffer) => pdf.toString('latin1').replace(/\/(CreationDate|ModDate) \(D:[^)]*\)/g, '');

test('the PDF is A4, and two PDFs of the same HTML differ only in when they were made', async () => {
  const html = page('<h1>Evidence pack</h1><p class="ok">Integrity: VERIFIED</p>');
  await htmlToPdf(html, join(dir, 'a.pdf'));
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await htmlToPdf(html, join(dir, 'b.pdf'));
  const [a, b] = [readFileSync(join(dir, 'a.pdf')), readFileSync(join(dir, 'b.pdf'))];
  expect(a.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  // A4 is 210 x 297 mm: 595.3 x 841.9 points, as Chromium writes it.
  expect(a.toString('latin1')).toMatch(/\/MediaBox \[0 0 59[45]\.\d+ 84[12]\.\d+\]/);
  expect(a.toString('latin1')).toMatch(/\/CreationDate \(D:\d{14}/);
  expect(withoutDates(a)).toBe(withoutDates(b));
});

test('nothing the page refers to is fetched while it prints', async () => {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.end('x');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const outside = `http://127.0.0.1:${port}`;
    await htmlToPdf(
      page(`<img src="${outside}/logo.png"><link rel="stylesheet" href="${outside}/style.css"><iframe src="${outside}/frame"></iframe>`),
      join(dir, 'fetching.pdf'),
    );
    expect(readFileSync(join(dir, 'fetching.pdf')).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(requests).toEqual([]);
  } finally {
    server.close();
  }
});

test('without Chromium the error names the package to install', async () => {
  const path = process.env.PATH;
  process.env.PATH = join(dir, 'no-such-bin');
  try {
    const error = await htmlToPdf(page('<p>pack</p>'), join(dir, 'missing.pdf')).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).code).toBe('chromium-missing');
    expect((error as CliError).message).toContain('Chromium is not installed');
    expect((error as CliError).suggestion).toContain('apt-get install chromium');
  } finally {
    process.env.PATH = path;
  }
});
