import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Opens a local HTML file in Debian's headless Chromium and returns the DOM after the page's scripts ran. */
export async function renderedDom(file: string): Promise<string> {
  const { stdout } = await promisify(execFile)('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${file}`], {
    timeout: 60_000,
  });
  return stdout;
}
