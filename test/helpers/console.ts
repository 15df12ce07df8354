import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { expect, inject } from 'vitest';
import { createRosterActivities } from '../../activities/roster';
import { startConsoleServer, type ConsoleServer } from '../../cli/console/server';
import { sealPathFor } from '../../lib/roster-seal-file';
import { lifeboatInProcess } from './cli';
import { sealTestRoster, testTrustRoot } from './roster-seal';
import { createTestWorker, testTaskQueue, type TemporalTestContext } from './temporal';

/** Debian's Chromium, headless, as root (hence no sandbox). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.LIFEBOAT_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

/** A copy of the test roster, with its seal, that this file's worker and console read, and that `lifeboat passkey add` edits. */
export function copyTestRoster(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'lifeboat-console-')), 'roster.json');
  copyFileSync(inject('testRosterPath'), path);
  copyFileSync(sealPathFor(inject('testRosterPath')), sealPathFor(path));
  return path;
}

/**
 * The console on a free loopback port, relaying with the raw client: nothing signs on its way through. Its Temporal
 * UI links point at a made-up address; no test follows them.
 */
export function startTestConsole(ctx: TemporalTestContext, taskQueue: string, rosterPath: string): Promise<ConsoleServer> {
  return startConsoleServer({
    client: ctx.rawClient,
    namespace: ctx.namespace,
    taskQueue,
    host: '127.0.0.1',
    port: 0,
    rosterPath,
    rpId: 'localhost',
    temporalUiUrl: 'http://localhost:8233',
    drillControls: false,
    pollMs: 250,
  });
}

/** One worker for the whole file, reading the file's own roster (so passkeys enrolled during the file count). */
export async function startConsoleWorker(ctx: TemporalTestContext, taskQueue: string, rosterPath: string, targetsPath?: string) {
  const roster = createRosterActivities({ rosterPath, trustRoot: testTrustRoot() });
  const { worker } = targetsPath === undefined ? await createTestWorker(ctx, taskQueue, roster) : await createTestWorker(ctx, taskQueue, roster, targetsPath);
  const running = worker.run();
  return {
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/** A person at their own browser: a context of its own with a virtual platform authenticator (user verification on). */
export interface PersonBrowser {
  who: string;
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
}

export async function openAs(browser: Browser, baseUrl: string, who: string, viewport = { width: 1100, height: 900 }): Promise<PersonBrowser> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  await page.goto(baseUrl);
  await page.locator('#whoami').selectOption(who);
  return { who, context, page, cdp, authenticatorId };
}

/**
 * Enrols a passkey as a person does: create it on the console's Passkeys page, then vouch for it with their SSH key
 * through `lifeboat passkey add`, which writes it into the roster file.
 */
export async function enrolPasskey(person: PersonBrowser, baseUrl: string, rosterPath: string): Promise<void> {
  await person.page.goto(`${baseUrl}/enrol`);
  await person.page.locator('#whoami').selectOption(person.who);
  await person.page.locator('#create-passkey').click();
  const request = await person.page.locator('#passkey-request').textContent();
  expect(await person.page.locator('#enrol-command').textContent()).toBe(
    `npx lifeboat passkey add --as ${person.who} --request passkey.json --roster ${rosterPath}`,
  );
  const file = join(mkdtempSync(join(tmpdir(), 'lifeboat-passkey-')), 'passkey.json');
  writeFileSync(file, request!);
  const added = await lifeboatInProcess(['passkey', 'add', '--as', person.who, '--request', file, '--roster', rosterPath]);
  expect(added.stderr).toBe('');
  expect(added.stdout).toMatch(new RegExp(`added ${person.who}'s passkey SHA256:\\S+ \\(ES256, for localhost\\)`));
  // A roster change counts once the roster admins have signed it.
  await sealTestRoster(rosterPath);
}

/** Opens a run's page and waits until the live stream has drawn it. */
export async function openRun(person: PersonBrowser, baseUrl: string, runId: string): Promise<void> {
  await person.page.goto(`${baseUrl}/run/${runId}`);
  await person.page.locator('#whoami').selectOption(person.who);
  await expect.poll(() => person.page.locator('#run-id').textContent(), { timeout: 20_000 }).toBe(runId);
}

/** Where phone-sized screenshots go for people to look at: under `.state/console/`, which git ignores. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const dir = resolve(__dirname, '../../.state/console');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Chromium, the console and a worker for one test file, sharing the file's copy of the roster and a task queue of its own. */
export interface ConsoleTestbed {
  browser: Browser;
  server: ConsoleServer;
  rosterPath: string;
  taskQueue: string;
  /** A person at their own browser, on a phone-sized screen if asked, with a passkey enrolled unless `enrol` is false. */
  person(who: string, opts?: { phone?: boolean; enrol?: boolean }): Promise<PersonBrowser>;
  close(): Promise<void>;
}

export async function openConsoleTestbed(ctx: TemporalTestContext, targetsPath?: string): Promise<ConsoleTestbed> {
  const rosterPath = copyTestRoster();
  const taskQueue = testTaskQueue();
  const [browser, server, worker] = await Promise.all([
    launchChromium(),
    startTestConsole(ctx, taskQueue, rosterPath),
    startConsoleWorker(ctx, taskQueue, rosterPath, targetsPath),
  ]);
  return {
    browser,
    server,
    rosterPath,
    taskQueue,
    async person(who, opts = {}) {
      const person = await openAs(browser, server.url, who, opts.phone ? { width: 390, height: 844 } : undefined);
      if (opts.enrol !== false) await enrolPasskey(person, server.url, rosterPath);
      return person;
    },
    async close() {
      await browser.close();
      await server.close();
      await worker.stop();
    },
  };
}
