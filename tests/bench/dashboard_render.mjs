// Benchmark: how long the dashboard's site list takes to sort and redraw 1,000 rows (layout
// included), in Debian's chromium against tests/browser/stub_server.py. Prints a table; never
// passes or fails (the browser test checks the sort order, not the time).
// Usage: node tests/bench/dashboard_render.mjs [--sites 1000] [--rounds 15]
// Needs `npm ci --prefix tests/browser` and chromium (VR_CHROMIUM, default /usr/bin/chromium).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const browserDir = path.join(here, '..', 'browser');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const sites = arg('--sites', 1000);
const rounds = arg('--rounds', 15);

const { chromium } = createRequire(path.join(browserDir, 'package.json'))('playwright-core');
const stub = spawn('python3', [path.join(browserDir, 'stub_server.py'), '--port', '0',
                               '--extra-sites', String(sites - 4)],
                   { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((resolve, reject) => {
  stub.on('exit', (code) => reject(new Error(`stub_server.py exited with ${code}`)));
  createInterface({ input: stub.stdout }).once('line', (line) => {
    const m = line.match(/^listening (\S+)$/);
    if (m) resolve(m[1].endsWith('/') ? m[1] : m[1] + '/');
    else reject(new Error(`stub_server.py said: ${line}`));
  });
});
const profile = mkdtempSync(path.join(tmpdir(), 'vr-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.VR_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  viewport: { width: 1280, height: 900 },
});
try {
  const page = context.pages()[0] || (await context.newPage());
  await page.goto(base + '#/');
  await page.waitForFunction((n) => document.querySelectorAll('#sites tbody tr').length === n,
                             sites);
  const rows = [];
  for (const key of ['score', 'site', 'verdict']) {
    const times = [];
    for (let i = 0; i < rounds; i++) {
      // The click handler is synchronous: the time to the next forced layout is the redraw.
      times.push(await page.evaluate((k) => {
        const b = document.querySelector(`#sites thead button[data-sort="${k}"]`);
        const t0 = performance.now();
        b.click();
        void document.body.offsetHeight;
        return performance.now() - t0;
      }, key));
    }
    times.sort((a, b) => a - b);
    const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
    rows.push([key, q(0), q(0.5), q(0.95), times[times.length - 1]]);
  }
  console.log(`dashboard sort + redraw, ${sites} rows, ${rounds} clicks per column (ms)`);
  console.log('column     min    p50    p95    max');
  for (const [k, ...v] of rows)
    console.log(k.padEnd(8) + v.map((x) => x.toFixed(1).padStart(7)).join(''));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  stub.kill();
}
