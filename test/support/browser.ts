// A real browser for the tests that look at a page (the Temporal Web UI, the preference page): Debian's chromium
// (scripts/browser-ensure.sh installs it) driven by playwright-core, never a downloaded browser. Each launch gets
// a fresh profile directory, removed on close.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots go: gitignored, kept after the run as test artifacts. */
export const ARTIFACTS_DIR = resolve('test-artifacts');

export interface LaunchedBrowser {
  /** A persistent context on the fresh profile: open pages with `context.newPage()`. */
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'consentflow-chromium-'));
  // playwright-core refuses `--user-data-dir` in args: the profile is passed as the persistent context's dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A screenshot path under test-artifacts/ (created on demand). */
export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, name);
}
