// Headless Chromium for the consumer and web-app tests: Debian's chromium with the project's
// flags (scripts/chromium.mjs: WebGPU on SwiftShader, no network chatter), driven by the
// playwright-core that the project under test installed for itself.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromiumArgs, chromiumPath } from '../chromium.mjs';

/**
 * @param {string} projectDir a directory whose node_modules holds playwright-core
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchChromium(projectDir) {
  if (!chromiumPath) throw new Error('no Chromium found (/usr/bin/chromium): install Debian\'s `chromium` (scripts/setup-toolchain.sh does) or set CHROMIUM_PATH');
  const entry = createRequire(path.join(projectDir, 'package.json')).resolve('playwright-core');
  // CommonJS: its exports arrive as the default export
  /** @type {typeof import('playwright-core')} */
  const pw = (await import(pathToFileURL(entry).href)).default;
  return pw.chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/**
 * Collects what a page reports on its own (errors, console errors), so a failure says why.
 * @param {import('playwright-core').Page} page
 */
export function pageLog(page) {
  /** @type {string[]} */
  const lines = [];
  page.on('pageerror', (e) => lines.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') lines.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('requestfailed', (r) => lines.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? '?'})`));
  return lines;
}
