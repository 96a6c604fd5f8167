// Debian's Chromium, headless, driven by playwright-core, with a fresh profile per run: what the
// dashboard's browser tests and benchmark use.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function openBrowser(origin?: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'tdweb-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1440, height: 900 },
  });
  if (origin !== undefined) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where test runs leave screenshots for a person to look at (named in the README). */
export function screenshotDir(): string {
  const dir = join(new URL('../../', import.meta.url).pathname, 'test-output', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}
