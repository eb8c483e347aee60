// Browser test of the collector dashboard: Debian's chromium, driven by playwright-core.
//
// Target, first that applies:
// - $VR_COLLECTOR_URL: a running collector that holds the seeded data set below;
// - $VR_COLLECTOR_BIN: seed_collector.py starts that binary (`serve`, loopback, temporary
//   database) and POSTs the seeded data set to it, as agents would;
// - otherwise stub_server.py, which serves collector/web and canned API answers (plus 996
//   generated sites, to check the list at 1,000 sites).
// Seeded sites and the verdict the list must show for each:
//   hq Ready · branch-lyon At risk · branch-oslo Not ready (EF rewritten forward) · depot-quiet No data
// Against the real collector (not the stub), hq also has a plan (42 planned calls) and a
// capacity run (60 calls), capture records and a Wi-Fi path: testCapacity checks the site list's
// capacity column, the "Capacity vs plan" panel, the per-link table and the capture table.
// Screenshots go to $VR_TEST_OUT (default ./out). Exit 0 pass, 1 fail, 77 skip (no chromium or no
// `npm ci --prefix tests/browser`).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SKIP = 77;
const EXPECTED = {
  hq: { text: 'Ready', cls: 'v-ready' },
  'branch-lyon': { text: 'At risk', cls: 'v-at_risk' },
  'branch-oslo': { text: 'Not ready', cls: 'v-not_ready' },
  'depot-quiet': { text: 'No data', cls: 'v-no_data' },
  'depot-silent': { text: 'Silent', cls: 'v-silent' },
};
// Configured but never reported: listed as No data, in the colour of depot-quiet.
const NEVER_REPORTED = 'depot-new';
const STUB_SITES = 1000; // seeded (EXPECTED and NEVER_REPORTED) + generated

const chromiumPath = process.env.VR_CHROMIUM || '/usr/bin/chromium';
const outDir = path.resolve(process.env.VR_TEST_OUT || 'out');

let failures = 0;
function check(ok, what, detail) {
  console.log(`${ok ? 'ok' : 'FAIL'} - ${what}${detail !== undefined ? ': ' + detail : ''}`);
  if (!ok) failures++;
}

// Starts stub_server.py or seed_collector.py; resolves with the base URL once it says it listens.
function startServer(script, args) {
  const proc = spawn('python3', [path.join(here, script), ...args],
                     { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start in 90 s`)), 90000);
    proc.on('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    createInterface({ input: proc.stdout }).once('line', (line) => {
      clearTimeout(timer);
      const m = line.match(/^listening (\S+)$/);
      if (m) resolve({ proc, url: m[1] });
      else reject(new Error(`${script} said: ${line}`));
    });
  });
}

async function main() {
  if (!existsSync(chromiumPath)) {
    console.log(`SKIP: no chromium at ${chromiumPath} (apt-get install chromium)`);
    return SKIP;
  }
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    console.log('SKIP: playwright-core is not installed (npm ci --prefix tests/browser)');
    return SKIP;
  }
  mkdirSync(outDir, { recursive: true });

  let server = null; // the process this test started, if any
  let base = process.env.VR_COLLECTOR_URL;
  const isStub = !base && !process.env.VR_COLLECTOR_BIN;
  if (!base) {
    server = isStub
      ? await startServer('stub_server.py', ['--port', '0', '--extra-sites',
                                             String(STUB_SITES - Object.keys(EXPECTED).length - 1)])
      : await startServer('seed_collector.py', [process.env.VR_COLLECTOR_BIN]);
    base = server.url;
  }
  if (!base.endsWith('/')) base += '/';
  console.log(`# dashboard at ${base}, screenshots in ${outDir}`);

  const profile = mkdtempSync(path.join(tmpdir(), 'vr-chromium-'));
  let context;
  try {
    // A persistent context is playwright's way to pass a fresh --user-data-dir.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
      timeout: 30000,
    });
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(15000);

    // The dashboard must work offline: every request goes to the collector itself.
    const foreign = [];
    const pageErrors = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });

    await testList(page, base, isStub);
    await testSite(page, base);
    if (!isStub) await testCapacity(page, base);
    await testUnknownSite(page, base);

    check(foreign.length === 0, 'no request leaves the collector', foreign.join(' '));
    // The unknown-site check causes one expected 404 console message.
    const errors = pageErrors.filter((e) => !/404/.test(e));
    check(errors.length === 0, 'no script errors', errors.join(' | '));
  } finally {
    if (context) await context.close();
    rmSync(profile, { recursive: true, force: true });
    if (server) server.proc.kill(); // SIGTERM: seed_collector.py stops the collector
  }
  return failures ? 1 : 0;
}

async function testList(page, base, isStub) {
  await page.goto(base + '#/');
  await page.waitForSelector('#sites tbody tr[data-site="hq"]');

  for (const [site, want] of Object.entries(EXPECTED)) {
    const badge = page.locator(`#sites tbody tr[data-site="${site}"] .verdict`);
    const text = (await badge.textContent()) || '';
    const cls = (await badge.getAttribute('class')) || '';
    check(text.trim() === want.text && cls.split(' ').includes(want.cls),
          `site list: ${site} shows "${want.text}" (${want.cls})`, `"${text}" class="${cls}"`);
    // The colour is really applied (not only the class name): background differs per verdict.
    const bg = await badge.evaluate((el) => getComputedStyle(el).backgroundColor);
    want.bg = bg;
  }
  const bgs = new Set(Object.values(EXPECTED).map((w) => w.bg));
  check(bgs.size === Object.keys(EXPECTED).length, 'site list: one distinct colour per verdict',
        [...bgs].join(' '));

  const first = await page.locator('#sites tbody tr').first().getAttribute('data-verdict');
  check(first === 'not_ready', 'site list: worst verdict first', first);

  // Silent: its agents stopped reporting; right after Not ready, its reason says since when.
  const order = await page.locator('#sites tbody tr').evaluateAll((rows) =>
    rows.map((r) => r.dataset.site));
  check(order.indexOf('depot-silent') < order.indexOf('branch-lyon') &&
        order.indexOf('depot-silent') > order.indexOf('branch-oslo'),
        'site list: Silent between Not ready and At risk', order.slice(0, 8).join(','));
  const silentRow = page.locator('#sites tbody tr[data-site="depot-silent"]');
  const silentReason = (await silentRow.locator('.reason').textContent()) || '';
  check(/^no results since \d\d:\d\d UTC, .* ago$/.test(silentReason.trim()) &&
        (await silentRow.getAttribute('data-liveness')) === 'silent',
        'site list: depot-silent says since when', silentReason);
  const newRow = page.locator(`#sites tbody tr[data-site="${NEVER_REPORTED}"]`);
  const newBadge = ((await newRow.locator('.verdict').textContent()) || '').trim();
  const newReason = ((await newRow.locator('.reason').textContent()) || '').trim();
  check(newBadge === 'No data — never reported' && newReason === 'never reported' &&
        (await newRow.getAttribute('data-liveness')) === 'never_reported',
        `site list: ${NEVER_REPORTED} is listed, never reported`, `${newBadge} / ${newReason}`);

  if (isStub) {
    const rows = await page.locator('#sites tbody tr').count();
    check(rows === STUB_SITES, `site list: ${STUB_SITES} rows`, rows);
    // Sorting 1,000 rows: the order the page shows, column by column. How long the redraw
    // takes is a benchmark (tests/bench/dashboard_render.mjs), not a pass/fail here.
    for (const [key, col, numeric] of [['site', 0, false], ['score', 2, true]]) {
      await page.click(`#sites thead button[data-sort="${key}"]`);
      const cells = await page.locator('#sites tbody tr').evaluateAll(
        (rows, c) => rows.map((r) => r.children[c].textContent.trim()), col);
      const vals = numeric ? cells.filter((t) => t !== '–').map((t) => parseFloat(t))
                           : cells.map((t) => t.toLowerCase());
      const sorted = vals.every((v, i) => i === 0 || vals[i - 1] <= v);
      check(cells.length === STUB_SITES && sorted,
            `site list: ${STUB_SITES} rows sorted by ${key}, ascending`,
            `${cells.length} rows, first ${cells.slice(0, 3).join(' | ')}`);
    }
    const sortState = await page.locator('#sites thead th[data-key="score"]').getAttribute('aria-sort');
    check(sortState === 'ascending', 'site list: sort state announced (aria-sort)', sortState);
    await page.click('#sites thead button[data-sort="verdict"]'); // back to worst first
  }
  await page.screenshot({ path: path.join(outDir, 'sites.png') });

  await page.fill('#filter', 'branch');
  await page.waitForFunction(() => document.querySelectorAll('#sites tbody tr').length === 2);
  const names = await page.locator('#sites tbody tr').evaluateAll((rows) =>
    rows.map((r) => r.dataset.site));
  check(names.join(',') === 'branch-oslo,branch-lyon', 'site list: filter "branch"', names.join(','));
  await page.fill('#filter', '');
}

async function testSite(page, base) {
  await page.click('#sites tbody tr[data-site="branch-oslo"] a');
  await page.waitForURL(/#\/site\/branch-oslo$/);
  await page.waitForSelector('#dscp-table');
  check((await page.locator('h1 .verdict').textContent()) === 'Not ready',
        'site page: verdict as text');
  const reasons = await page.locator('.reasons li').allTextContents();
  check(reasons.some((r) => /loss .* forward/.test(r)) && reasons.some((r) => /DSCP (46|EF)/.test(r)),
        'site page: reasons name loss forward and the DSCP rewrite', reasons.join(' | '));
  const classRows = await page.locator('#class-table tbody tr').count();
  check(classRows === 2, 'site page: one row per class and target', classRows);

  // DSCP table: EF sent, mostly 0 seen forward, flagged; reverse kept.
  const audio = page.locator('#dscp-table tr[data-class="audio"]');
  const cells = await audio.locator('th, td').allTextContents();
  check(/^46 \(EF\)/.test(cells[2]), 'DSCP table: audio sent as 46 (EF)', cells[2]);
  check(/0 \(CS0\) 100\.0 %/.test(cells[3]), 'DSCP table: audio seen forward as 0 (CS0)', cells[3]);
  check(/^0\.0 %/.test(cells[4]) && (await audio.locator('td').nth(3).getAttribute('class')).includes('bad'),
        'DSCP table: audio forward kept 0.0 %, flagged', cells[4]);
  check(/^100\.0 %$/.test(cells[6]), 'DSCP table: audio reverse kept 100.0 %', cells[6]);
  const video = await page.locator('#dscp-table tr[data-class="video"] td').allTextContents();
  check(/^34 \(AF41\)/.test(video[1]) && video[3] === '100.0 %', 'DSCP table: video kept', video.join(' | '));

  await checkCharts(page, 'branch-oslo');
  const failing = await page.locator('#failing-table tbody tr').count();
  check(failing > 0 && failing <= 100, 'site page: failing intervals listed (at most 100)', failing);
  await page.screenshot({ path: path.join(outDir, 'site-branch-oslo.png'), fullPage: true });
  await page.screenshot({ path: path.join(outDir, 'site-branch-oslo-top.png') });
  await page.locator('#charts').screenshot({ path: path.join(outDir, 'site-branch-oslo-charts.png') });

  // A Ready site: no failing interval, charts still drawn.
  await page.goto(base + '#/site/hq');
  await page.waitForFunction(() => document.querySelector('h1 .verdict')?.textContent === 'Ready');
  await checkCharts(page, 'hq');
  check(/No failing interval/.test(await page.locator('#failing').textContent()),
        'site page: hq has no failing interval');
  // The Agents table: name, version, last upload, spool, quarantined, clock sync, link kinds.
  const heads = await page.locator('#agents-table thead th').allTextContents();
  const hqAgents = await page.locator('#agents-table tbody tr').evaluateAll((rows) =>
    rows.map((r) => [r.dataset.liveness, ...[...r.children].map((c) => c.textContent)]));
  check(heads.length === 7 && hqAgents.length >= 1 &&
        hqAgents.every((a) => a[0] === 'live' && a.length === 8) &&
        hqAgents.some((a) => a[1] === 'hq-agent'),
        'site page: hq lists its agents, live', JSON.stringify(hqAgents));
  await page.screenshot({ path: path.join(outDir, 'site-hq.png'), fullPage: true });

  // A site without data in the window: its verdict, and no empty charts.
  await page.goto(base + '#/site/depot-quiet');
  await page.waitForFunction(() => document.querySelector('h1 .verdict')?.textContent === 'No data');
  await page.waitForSelector('#charts p');
  check(/No intervals/.test(await page.locator('#charts').textContent()) &&
        (await page.locator('#charts canvas').count()) === 0,
        'site page: depot-quiet says it has no intervals');
  await page.screenshot({ path: path.join(outDir, 'site-depot-quiet.png'), fullPage: true });

  // A silent site: its verdict, the reason first, its agent marked silent.
  await page.goto(base + '#/site/depot-silent');
  await page.waitForFunction(() => document.querySelector('h1 .verdict')?.textContent === 'Silent');
  await page.waitForSelector('#agents-table');
  const first = (await page.locator('.reasons li').first().textContent()) || '';
  check(/^no results since /.test(first), 'site page: depot-silent reason first', first);
  const agent = page.locator('#agents-table tbody tr').first();
  check((await agent.getAttribute('data-liveness')) === 'silent' &&
        (await agent.locator('th').textContent()) === 'depot-silent-agent',
        'site page: depot-silent lists its agent, silent',
        await agent.evaluate((r) => r.textContent));
  await page.screenshot({ path: path.join(outDir, 'site-depot-silent.png'), fullPage: true });
}

// Waits for the four uPlot charts and checks that each has a sized canvas, series in its legend
// and line pixels drawn on the canvas in the series' colours (axes and grid are on the canvas too,
// so counting any pixel would pass on an empty chart).
async function checkCharts(page, site) {
  await page.waitForFunction(() => document.querySelectorAll('#charts canvas').length === 4);
  const charts = await page.evaluate(() =>
    [...document.querySelectorAll('#charts figure')].map((fig) => {
      const c = fig.querySelector('canvas');
      const ctx = c.getContext('2d');
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      const colours = [...fig.querySelectorAll('.u-legend .u-series .u-marker')].slice(1)
        .map((m) => getComputedStyle(m).borderColor.match(/\d+/g).slice(0, 3).map(Number));
      let drawn = 0;
      for (let i = 0; i < px.length; i += 4) {
        if (px[i + 3] < 128) continue;
        if (colours.some(([r, g, b]) => Math.abs(px[i] - r) + Math.abs(px[i + 1] - g) +
                                        Math.abs(px[i + 2] - b) < 40)) drawn++;
      }
      return {
        id: fig.id,
        w: c.width,
        h: c.height,
        series: fig.querySelectorAll('.u-legend .u-series').length - 1, // minus the x series
        drawn,
      };
    }));
  for (const c of charts) {
    check(c.w > 0 && c.h > 0 && c.series > 0 && c.drawn > 300,
          `charts: ${site} ${c.id} drawn`, `${c.w}x${c.h}, ${c.series} series, ${c.drawn} line px`);
  }
}

// Seeded by seed_collector.py: hq plans ceil(ceil(250 x 15 %) x 1.1) = 42 calls and measured 60.
const HQ_PLANNED = 42;
const HQ_MEASURED = 60;

async function testCapacity(page, base) {
  await page.goto(base + '#/');
  await page.waitForSelector('#sites tbody tr[data-site="hq"] td.cap');
  const cell = page.locator('#sites tbody tr[data-site="hq"] td.cap');
  const cellText = ((await cell.textContent()) || '').trim();
  check(cellText.startsWith(`${HQ_MEASURED} / ${HQ_PLANNED}`) && (await cell.getAttribute('data-cap')) === 'ready',
        'site list: hq capacity column shows measured / planned', cellText);
  const oslo = ((await page.locator('#sites tbody tr[data-site="branch-oslo"] td.cap').textContent()) || '').trim();
  check(oslo === '9 calls', 'site list: a site without a plan shows its capacity alone', oslo);

  await page.goto(base + '#/site/hq');
  await page.waitForSelector('#capacity #cap-measured');
  const panel = page.locator('#capacity');
  check((await panel.getAttribute('data-status')) === 'ready', 'capacity panel: hq meets its plan',
        await panel.getAttribute('data-status'));
  const planned = ((await page.locator('#cap-planned .bar-value').textContent()) || '').trim();
  const measured = ((await page.locator('#cap-measured .bar-value').textContent()) || '').trim();
  check(planned === `${HQ_PLANNED} calls`, 'capacity panel: planned peak 42 calls', planned);
  check(measured === `${HQ_MEASURED} calls`, 'capacity panel: measured capacity 60 calls', measured);
  // The bars are drawn to one scale: measured / planned widths = 60 / 42.
  const w = await page.evaluate(() => ['#cap-planned .bar', '#cap-measured .bar'].map((q) =>
    document.querySelector(q).getBoundingClientRect().width));
  check(w[0] > 50 && Math.abs(w[1] / w[0] - HQ_MEASURED / HQ_PLANNED) < 0.03,
        'capacity panel: bars drawn to scale', w.map((x) => x.toFixed(1)).join(' / '));
  const reason = await page.locator('#cap-reason').textContent();
  check(/capacity 60 calls >= planned peak 42 \(\+10 % growth\)/.test(reason),
        'capacity panel: the rule in words', reason);
  const bw = (await page.locator('#cap-bw').textContent()).trim();
  // 42 x (30 k + 0.3 x 1,200 k + 0.1 x 100 k) = 42 x 400 kbit/s = 16.80 Mbit/s
  check(bw === '16.80 Mbit/s', 'capacity panel: planned bandwidth per direction', bw);
  const capRow = await page.locator('#capacity-table tbody tr').first().locator('th, td').allTextContents();
  check(capRow[2] === '60 calls' && /at 64 calls: loss 2\.4 % forward/.test(capRow[5]) &&
        capRow[6] === 'bandwidth', 'capacity panel: latest run with first failure and cause',
        capRow.join(' | '));
  await panel.screenshot({ path: path.join(outDir, 'capacity-hq.png') });

  const links = await page.locator('#links-table tbody tr').evaluateAll((rows) =>
    rows.map((r) => r.dataset.link));
  check(links.join(',') === 'wired,wifi', 'links: hq split into wired and wifi', links.join(','));
  const wifiJitter = await page.locator('#links-table tr[data-link="wifi"] td').nth(3).textContent();
  check(/^[89]\.\d ms$/.test(wifiJitter), 'links: Wi-Fi jitter on its own row', wifiJitter);
  const caps = await page.locator('#captures-table tbody tr').count();
  check(caps === 3, 'real calls: three capture streams listed', caps);
  const failRow = await page.locator('#captures-table tbody tr[data-verdict="fail"] td').allTextContents();
  check(/10\.1\.0\.22:50012 → 52\.112\.0\.7:3479/.test(failRow[1]) && failRow[5] === '2.50 %',
        'real calls: src → dst, loss of the failing stream', failRow.join(' | '));
  check(/do not change the verdict/.test(await page.locator('#captures').textContent()) &&
        (await page.locator('h1 .verdict').textContent()) === 'Ready',
        'real calls: do not change the verdict (hq stays Ready)');
  await page.screenshot({ path: path.join(outDir, 'site-hq-capacity.png'), fullPage: true });
}

async function testUnknownSite(page, base) {
  await page.goto(base + '#/site/no-such-site');
  await page.waitForSelector('#summary .error');
  check(/no-such-site/.test(await page.locator('#summary .error').textContent()),
        'site page: unknown site says so');
}

main().then((code) => process.exit(code), (e) => {
  console.log(`FAIL - ${e.stack || e}`);
  process.exit(1);
});
