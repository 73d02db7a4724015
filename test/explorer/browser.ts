/**
 * Debian's Chromium driven by playwright-core for the explorer's browser tests, screenshots and
 * benchmark. No browser is ever downloaded: without /usr/bin/chromium this fails naming the
 * package to install.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Starts headless Chromium; throws a clear message when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the explorer's browser tests need Chromium at ${CHROMIUM}: install it with ` +
        '`apt-get install -y chromium` (scripts/test-prerequisites.mjs does so as root)',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
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
}
