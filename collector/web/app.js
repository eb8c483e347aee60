/* voiceready collector dashboard: plain JS, no framework, no network access beyond the collector's
 * own API (collector/API.md). Hash routes:
 *   #/            site list: sortable, filterable, one row per site
 *   #/site/NAME   one site: verdict and reasons, capacity vs plan, per link kind summary, per
 *                 class/target/link table, DSCP table, charts, failing intervals, real calls
 *                 (capture records)
 * Every view is redrawn from the API every 30 s. */
'use strict';

(function () {
  const REFRESH_MS = 30000;

  const VERDICT_LABEL = {
    ready: 'Ready',
    at_risk: 'At risk',
    not_ready: 'Not ready',
    silent: 'Silent',
    no_data: 'No data',
  };
  // Sort rank, worst first. Silent (its agents stopped reporting: the collector's silent_after)
  // comes right after Not ready, as the API sorts; No data sits between the failures and Ready.
  const VERDICT_RANK = { not_ready: 0, silent: 1, at_risk: 2, no_data: 3, ready: 4 };
  const CLOCK_LABEL = { synced: 'synced', unsynced: 'not synced', unknown: 'unknown' };

  // The mark each class is sent with (DESIGN §3), for records that do not carry "dscp".
  const CLASS_DSCP = { audio: 46, video: 34, sharing: 18, besteffort: 0 };
  const DSCP_NAME = {
    0: 'CS0', 8: 'CS1', 10: 'AF11', 12: 'AF12', 14: 'AF13', 16: 'CS2', 18: 'AF21', 20: 'AF22',
    22: 'AF23', 24: 'CS3', 26: 'AF31', 28: 'AF32', 30: 'AF33', 32: 'CS4', 34: 'AF41', 36: 'AF42',
    38: 'AF43', 40: 'CS5', 44: 'VOICE-ADMIT', 46: 'EF', 48: 'CS6', 56: 'CS7',
  };
  const DSCP_MIN_PRESERVED_PCT = 99; // DESIGN §6, marked classes only

  // Capacity rule (collector/API.md): status names, labels and sort rank (worst first).
  const CAP_LABEL = {
    not_ready: 'Below plan',
    at_risk: 'Under 20 % headroom',
    not_measured: 'Not measured',
    ready: 'Meets plan',
    no_plan: 'No plan',
  };
  const CAP_RANK = { not_ready: 0, at_risk: 1, not_measured: 2, ready: 3, no_plan: 4 };
  const CAP_VERDICT = { not_ready: 'not_ready', at_risk: 'at_risk', not_measured: 'at_risk',
                        ready: 'ready' };

  // One colour per class/target series; forward lines solid, reverse dashed.
  // No red or green: those mean verdicts on this page.
  const PALETTE = ['#1f77b4', '#ff7f0e', '#9467bd', '#17becf', '#8c564b', '#e377c2', '#7f7f7f',
                   '#bcbd22'];

  const app = document.getElementById('app');
  const statusEl = document.getElementById('status');

  // View state that survives refreshes.
  const list = { sites: [], sortKey: 'verdict', sortAsc: true, filter: '' };
  let charts = []; // uPlot instances of the site page, destroyed when it is left
  let chartKey = ''; // series layout of those charts: reuse them while it is unchanged
  let timer = 0;
  let loadSeq = 0; // drops answers that arrive after the user moved to another view

  /* ---- helpers ---- */

  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, (c) => ({
      '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
    })[c]);
  }

  function num(v, digits) {
    return typeof v === 'number' && isFinite(v) ? v.toFixed(digits) : '–';
  }

  function verdictBadge(v, liveness) {
    const key = VERDICT_LABEL[v] ? v : 'no_data';
    const label = liveness === 'never_reported' ? 'No data — never reported' : VERDICT_LABEL[key];
    // The label is the information; the colour only repeats it.
    return `<span class="verdict v-${key}">${label}</span>`;
  }

  function parseTime(s) {
    const t = s ? Date.parse(s) : NaN;
    return isNaN(t) ? null : t;
  }

  function ago(ms) {
    if (ms == null) return 'never';
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 90) return `${s} s ago`;
    if (s < 5400) return `${Math.round(s / 60)} min ago`;
    if (s < 172800) return `${Math.round(s / 3600)} h ago`;
    return `${Math.round(s / 86400)} days ago`;
  }

  function utc(ms) {
    return ms == null ? '–' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  }

  function setStatus(text, isError) {
    statusEl.textContent = text;
    statusEl.classList.toggle('error', !!isError);
  }

  async function getJSON(path) {
    const res = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (!res.ok) {
      let msg = `${res.status} ${res.statusText}`;
      try {
        const body = await res.json();
        if (body && body.error) msg += `: ${body.error}`;
      } catch (e) { /* not JSON: keep the status line */ }
      const err = new Error(`${path}: ${msg}`);
      err.status = res.status;
      throw err;
    }
    return res.json();
  }

  function destroyCharts() {
    charts.forEach((c) => c.destroy());
    charts = [];
    chartKey = '';
  }

  /* ---- site list ---- */

  const LIST_COLUMNS = [
    { key: 'site', label: 'Site' },
    { key: 'verdict', label: 'Verdict' },
    { key: 'score', label: 'Score', num: true },
    { key: 'capacity', label: 'Capacity / plan', num: true },
    { key: 'reason', label: 'Worst reason' },
    { key: 'seen', label: 'Last seen' },
  ];

  function showList() {
    destroyCharts();
    document.title = 'voiceready — sites';
    const head = LIST_COLUMNS.map((c) =>
      `<th scope="col"${c.num ? ' class="num"' : ''} data-key="${c.key}">` +
      `<button type="button" data-sort="${c.key}">${c.label}<span class="arrow"></span></button></th>`
    ).join('');
    app.innerHTML =
      '<h1>Sites</h1>' +
      '<div class="toolbar">' +
      '<label for="filter">Filter</label>' +
      `<input id="filter" type="search" placeholder="site, verdict or reason" value="${esc(list.filter)}" autocomplete="off">` +
      '<span id="counts" class="counts"></span>' +
      '</div>' +
      `<table id="sites" class="grid sites"><thead><tr>${head}</tr></thead><tbody></tbody></table>`;

    // One listener for every header (event delegation): no per-row or per-cell listeners.
    app.querySelector('thead').addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-sort]');
      if (!b) return;
      const key = b.dataset.sort;
      list.sortAsc = list.sortKey === key ? !list.sortAsc : true;
      list.sortKey = key;
      renderRows();
    });
    let pending = 0;
    app.querySelector('#filter').addEventListener('input', (ev) => {
      list.filter = ev.target.value;
      cancelAnimationFrame(pending); // typing fast redraws once per frame, not once per key
      pending = requestAnimationFrame(renderRows);
    });
    renderRows();
    return loadList;
  }

  async function loadList(seq) {
    const data = await getJSON('api/v1/sites?window=24h');
    if (seq !== loadSeq) return;
    // Precompute sort keys once per fetch, not once per comparison.
    list.sites = (data.sites || []).map((s) => ({
      raw: s,
      site: String(s.site),
      siteLower: String(s.site).toLowerCase(),
      verdict: VERDICT_LABEL[s.verdict] ? s.verdict : 'no_data',
      score: typeof s.score_pct === 'number' ? s.score_pct : -1,
      cap: CAP_LABEL[s.capacity_status] ? s.capacity_status : 'no_plan',
      reason: s.worst_reason || '',
      liveness: s.liveness || 'live',
      // when the collector last heard from it (older collectors: its latest record)
      seen: parseTime(s.last_upload !== undefined ? s.last_upload : s.last_seen),
    }));
    renderRows();
  }

  function compareSites(a, b) {
    const k = list.sortKey;
    let d = 0;
    if (k === 'verdict') d = VERDICT_RANK[a.verdict] - VERDICT_RANK[b.verdict];
    else if (k === 'score') d = a.score - b.score;
    else if (k === 'capacity') d = CAP_RANK[a.cap] - CAP_RANK[b.cap];
    else if (k === 'seen') d = (a.seen || 0) - (b.seen || 0);
    else if (k === 'reason') d = a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0;
    if (!list.sortAsc) d = -d;
    // Ties, and the site column itself, go by name.
    return d || (a.siteLower < b.siteLower ? -1 : a.siteLower > b.siteLower ? 1 : 0);
  }

  function renderRows() {
    const tbody = app.querySelector('#sites tbody');
    if (!tbody) return;
    const f = list.filter.trim().toLowerCase();
    const rows = f
      ? list.sites.filter((s) => s.siteLower.includes(f) || s.reason.toLowerCase().includes(f) ||
                                 VERDICT_LABEL[s.verdict].toLowerCase().includes(f))
      : list.sites.slice();
    rows.sort(compareSites);

    // One string, one innerHTML: fast at 1,000 rows; the links need no listeners.
    let html = '';
    for (const s of rows) {
      const r = s.raw;
      const href = '#/site/' + encodeURIComponent(s.site);
      html += `<tr data-site="${esc(s.site)}" data-verdict="${s.verdict}" data-liveness="${esc(s.liveness)}">` +
        `<th scope="row"><a href="${esc(href)}">${esc(s.site)}</a></th>` +
        `<td>${verdictBadge(s.verdict, s.liveness)}${r.marks_rewritten ? ' <span class="flag" title="a DSCP mark is rewritten on the path">DSCP rewritten</span>' : ''}</td>` +
        `<td class="num">${s.score >= 0 ? num(s.score, 1) + ' %' : '–'}</td>` +
        capacityCell(r, s.cap) +
        `<td class="reason">${s.reason ? esc(s.reason) : '<span class="muted">none</span>'}</td>` +
        `<td title="${esc(utc(s.seen))}">${esc(ago(s.seen))}</td></tr>`;
    }
    if (!rows.length) {
      html = `<tr><td colspan="6" class="empty">${list.sites.length ? 'No site matches the filter.' : 'No site has reported yet.'}</td></tr>`;
    }
    tbody.innerHTML = html;

    for (const th of app.querySelectorAll('#sites thead th')) {
      const on = th.dataset.key === list.sortKey;
      th.setAttribute('aria-sort', on ? (list.sortAsc ? 'ascending' : 'descending') : 'none');
      th.querySelector('.arrow').textContent = on ? (list.sortAsc ? ' ▲' : ' ▼') : '';
    }

    const n = { ready: 0, at_risk: 0, not_ready: 0, silent: 0, no_data: 0 };
    list.sites.forEach((s) => n[s.verdict]++);
    app.querySelector('#counts').textContent =
      `${rows.length} of ${list.sites.length} sites · ${n.ready} Ready · ${n.at_risk} At risk · ` +
      `${n.not_ready} Not ready · ${n.silent} Silent · ${n.no_data} No data`;
  }

  // "18 / 42 calls" and the capacity status in words; the title holds the rule's reason.
  function capacityCell(r, cap) {
    const c = typeof r.capacity_calls === 'number' ? r.capacity_calls : null;
    const p = typeof r.planned_peak_calls === 'number' ? r.planned_peak_calls : null;
    const text = p == null ? (c == null ? '–' : `${c} calls`) : `${c == null ? '–' : c} / ${p}`;
    return `<td class="num cap" data-cap="${cap}" title="${esc(r.capacity_reason || '')}">${esc(text)}` +
      (cap !== 'no_plan' ? ` <span class="cap-status c-${cap}">${CAP_LABEL[cap]}</span>` : '') + '</td>';
  }

  /* ---- site page ---- */

  function showSite(name) {
    destroyCharts();
    document.title = `voiceready — ${name}`;
    app.innerHTML =
      '<p class="crumbs"><a href="#/">← All sites</a></p>' +
      `<h1>${esc(name)} <span id="site-verdict"></span></h1>` +
      '<section id="summary" aria-label="Verdict"><p class="muted">Loading…</p></section>' +
      '<h2>Agents</h2><div id="agents"></div>' +
      '<h2>Capacity vs plan</h2><section id="capacity" class="panel" aria-label="Capacity vs plan"></section>' +
      '<h2>By link kind</h2><div id="links"></div>' +
      '<h2>Paths and classes</h2><div id="classes"></div>' +
      '<h2>DSCP preservation</h2><div id="dscp"></div>' +
      '<h2>Last 24 hours</h2><div id="charts" class="charts"></div>' +
      '<h2>Failing intervals</h2><div id="failing"></div>' +
      '<h2>Real calls (capture)</h2><div id="captures"></div>';
    return (seq) => loadSite(seq, name);
  }

  async function loadSite(seq, name) {
    const base = 'api/v1/sites/' + encodeURIComponent(name);
    let detail;
    let series;
    try {
      [detail, series] = await Promise.all([
        getJSON(base + '?window=24h'),
        getJSON(base + '/intervals?since=24h'),
      ]);
    } catch (e) {
      if (seq === loadSeq && e.status === 404) {
        app.querySelector('#summary').innerHTML =
          `<p class="error">No site named “${esc(name)}” has reported to this collector.</p>`;
      }
      throw e;
    }
    if (seq !== loadSeq) return;
    renderSummary(detail);
    renderAgents(detail.agent_list || []);
    renderCapacity(detail);
    renderLinks(detail.links || []);
    renderClasses(detail.classes || []);
    renderDscp(detail.classes || []);
    renderCharts(series.series || []);
    renderFailing(detail.failing || []);
    renderCaptures(detail.captures || []);
  }

  function rate(bps) {
    if (typeof bps !== 'number' || !isFinite(bps)) return '–';
    return bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mbit/s` : `${(bps / 1e3).toFixed(0)} kbit/s`;
  }

  function mixText(mix) {
    return Object.entries(mix || {}).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ') || '–';
  }

  // Planned peak (with growth) against the smallest latest measured capacity: two bars on one
  // scale, the verdict of the rule in words, then the plan's arithmetic and each target's run.
  function renderCapacity(d) {
    const box = app.querySelector('#capacity');
    const cap = d.capacity || {};
    const plan = d.planning;
    const status = CAP_LABEL[cap.status] ? cap.status : 'no_plan';
    const measured = typeof cap.capacity_calls === 'number' ? cap.capacity_calls : null;
    const planned = plan ? plan.planned_peak_calls : null;
    box.dataset.status = status;
    const badge = status === 'no_plan' ? '' : verdictBadge(CAP_VERDICT[status]) + ' ';
    let html = `<p class="cap-verdict">${badge}<span id="cap-reason">${esc(cap.reason || 'no plan')}</span></p>`;
    if (planned != null || measured != null) {
      const top = Math.max(planned || 0, measured || 0, 1) * 1.25;
      const bar = (id, label, v, cls) =>
        `<div class="bar-row" id="${id}"><span class="bar-label">${label}</span>` +
        `<span class="bar-track"><span class="bar ${cls}" style="width:${v == null ? 0 : (100 * v) / top}%"></span></span>` +
        `<span class="bar-value">${v == null ? 'not measured' : esc(v) + ' calls'}</span></div>`;
      html += '<div class="bars">' +
        bar('cap-planned', 'Planned peak', planned, 'planned') +
        bar('cap-measured', 'Measured capacity', measured, `measured c-${status}`) + '</div>';
    }
    if (plan) {
      html += '<dl class="facts small">' +
        `<div><dt>Users</dt><dd>${plan.users != null ? esc(plan.users) : '–'}</dd></div>` +
        `<div><dt>Peak concurrency</dt><dd>${plan.peak_concurrency_pct != null ? num(plan.peak_concurrency_pct, 1) + ' %' : '–'}</dd></div>` +
        `<div><dt>Peak calls</dt><dd>${esc(plan.peak_calls)}</dd></div>` +
        `<div><dt>Growth</dt><dd>${num(plan.growth_pct, 1)} %</dd></div>` +
        `<div><dt>Planned peak</dt><dd>${esc(plan.planned_peak_calls)} calls</dd></div>` +
        `<div><dt>Mix (share of calls)</dt><dd>${esc(mixText(plan.mix))}</dd></div>` +
        `<div><dt>Bandwidth per direction</dt><dd id="cap-bw">${rate(plan.bandwidth_bps_fwd)}</dd></div>` +
        '</dl>' +
        `<p class="muted small">Bitrates per call: ${esc(Object.entries(plan.bitrates_bps || {}).map(([k, v]) => `${k} ${rate(v)}`).join(', '))}. ${esc(plan.bitrate_basis || '')}.</p>`;
    } else {
      html += '<p class="muted">No plan for this site: add users, peak_concurrency_pct (or planned_peak_calls), mix and growth_pct to its [site] section. The capacity rule does not apply.</p>';
    }
    const latest = cap.latest || [];
    // A run with another mix than the plan's measured other calls: say so, do not hide it.
    const other = plan ? latest.filter((c) => c.mix && mixText(c.mix) !== mixText(plan.mix)) : [];
    if (other.length) {
      html += `<p class="note" id="cap-mix-note">The capacity run to ${esc(other[0].target)} used the mix ` +
        `${esc(mixText(other[0].mix))} (streams per call), the plan ${esc(mixText(plan.mix))} ` +
        '(share of calls): its call count is not directly the plan\'s.</p>';
    }
    if (latest.length) {
      html += '<table class="grid" id="capacity-table"><thead><tr><th scope="col">Target</th>' +
        '<th scope="col">Link</th><th scope="col" class="num">Capacity</th>' +
        '<th scope="col" class="num">Wire rate fwd / rev</th><th scope="col">Stopped by</th>' +
        '<th scope="col">First failure</th><th scope="col">Cause</th><th scope="col">Measured</th></tr></thead><tbody>';
      for (const c of latest) {
        const ff = c.first_failure;
        html += `<tr><th scope="row">${esc(c.target)}</th><td>${esc(c.link)}</td>` +
          `<td class="num">${esc(c.capacity_calls)} calls</td>` +
          `<td class="num">${rate(c.capacity_bps_fwd)} / ${rate(c.capacity_bps_rev)}</td>` +
          `<td>${esc(c.limit)}</td>` +
          `<td>${ff ? esc(`at ${ff.calls} calls: ${ff.reason || ff.metric}`) : '<span class="muted">none</span>'}</td>` +
          `<td>${esc(c.cause)}</td><td class="nowrap">${esc(utc(parseTime(c.start)))}</td></tr>`;
      }
      html += '</tbody></table>';
    } else {
      html += '<p class="muted">No capacity run uploaded yet (<code>voiceready-agent capacity</code>).</p>';
    }
    box.innerHTML = html;
  }

  function renderLinks(links) {
    const box = app.querySelector('#links');
    if (!links.length) {
      box.innerHTML = '<p class="muted">No intervals in this window.</p>';
      return;
    }
    let html = '<p class="muted">Each link kind on its own, so that Wi-Fi jitter is not read as a WAN problem.</p>' +
      '<table class="grid" id="links-table"><thead><tr><th scope="col">Link</th>' +
      '<th scope="col" class="num">Passed</th><th scope="col" class="num">Loss fwd</th>' +
      '<th scope="col" class="num">Loss rev</th><th scope="col" class="num">Jitter fwd</th>' +
      '<th scope="col" class="num">Jitter rev</th><th scope="col" class="num">RTT mean</th>' +
      '<th scope="col">Classes</th></tr></thead><tbody>';
    for (const l of links) {
      html += `<tr data-link="${esc(l.link)}"><th scope="row">${esc(l.link)}</th>` +
        `<td class="num">${esc(l.passed)} / ${esc(l.intervals)} (${num(l.pass_pct, 1)} %)</td>` +
        `<td class="num">${num(l.loss_fwd_pct, 2)} %</td><td class="num">${num(l.loss_rev_pct, 2)} %</td>` +
        `<td class="num">${num(l.jitter_fwd_ms, 1)} ms</td><td class="num">${num(l.jitter_rev_ms, 1)} ms</td>` +
        `<td class="num">${num(l.rtt_ms_mean, 1)} ms</td><td>${esc((l.classes || []).join(', '))}</td></tr>`;
    }
    box.innerHTML = html + '</tbody></table>';
  }

  function renderCaptures(caps) {
    const box = app.querySelector('#captures');
    const note = '<p class="muted">Real RTP streams seen by <code>voiceready-agent capture</code>, ' +
      'latest first. Shown beside the synthetic results; they do not change the verdict.</p>';
    if (!caps.length) {
      box.innerHTML = note + '<p class="muted">No capture record from this site.</p>';
      return;
    }
    let html = note + '<div class="scroll"><table class="grid" id="captures-table"><thead><tr>' +
      '<th scope="col">Start</th><th scope="col">Stream</th><th scope="col">Link</th><th scope="col">Class</th>' +
      '<th scope="col" class="num">Packets</th><th scope="col" class="num">Loss</th>' +
      '<th scope="col" class="num">Jitter</th><th scope="col" class="num">MOS</th>' +
      '<th scope="col">Verdict</th></tr></thead><tbody>';
    for (const c of caps) {
      const bad = c.verdict === 'fail';
      html += `<tr data-verdict="${esc(c.verdict)}"><td class="nowrap">${esc(utc(parseTime(c.start)))}</td>` +
        `<td>${esc(c.src)} → ${esc(c.dst)}</td><td>${esc(c.link)}</td><td>${esc(c.class)}</td>` +
        `<td class="num">${esc(c.packets)}</td><td class="num">${num(c.loss_pct, 2)} %</td>` +
        `<td class="num">${num(c.jitter_ms, 1)} ms</td><td class="num">${num(c.mos, 2)}</td>` +
        `<td${bad ? ' class="bad"' : ''}>${esc(c.verdict)}${(c.reasons || []).length ? ': ' + esc(c.reasons.join('; ')) : ''}</td></tr>`;
    }
    box.innerHTML = html + '</tbody></table></div>';
  }

  // The site's agents as each said of itself in its latest upload.
  function renderAgents(agents) {
    const box = app.querySelector('#agents');
    if (!agents.length) {
      box.innerHTML = '<p class="muted">No agent has reported for this site.</p>';
      return;
    }
    let html = '<div class="scroll"><table class="grid agents" id="agents-table"><thead><tr>' +
      '<th scope="col">Agent</th><th scope="col">Version</th><th scope="col">Last upload</th>' +
      '<th scope="col" class="num">Spool backlog</th><th scope="col" class="num">Quarantined</th>' +
      '<th scope="col">Clock sync</th><th scope="col">Link kinds</th></tr></thead><tbody>';
    for (const a of agents) {
      const up = parseTime(a.last_upload);
      const stale = a.liveness === 'silent';
      html += `<tr data-agent="${esc(a.agent)}" data-liveness="${esc(a.liveness)}">` +
        `<th scope="row">${esc(a.agent)}</th><td>${a.version ? esc(a.version) : '–'}</td>` +
        `<td${stale ? ' class="stale"' : ''} title="${esc(utc(up))}">${esc(ago(up))}${stale ? ' (silent)' : ''}</td>` +
        `<td class="num">${esc(a.spool_records)}</td>` +
        `<td class="num${a.quarantined > 0 ? ' bad' : ''}">${esc(a.quarantined)}</td>` +
        `<td>${esc(CLOCK_LABEL[a.clock_sync] || a.clock_sync || 'unknown')}</td>` +
        `<td>${(a.links || []).length ? esc(a.links.join(', ')) : '–'}</td></tr>`;
    }
    box.innerHTML = html + '</tbody></table></div>';
  }

  function renderSummary(d) {
    app.querySelector('#site-verdict').innerHTML = verdictBadge(d.verdict, d.liveness);
    const seen = parseTime(d.last_upload !== undefined ? d.last_upload : d.last_seen);
    const reasons = (d.reasons || []).map((r) => `<li>${esc(r)}</li>`).join('');
    app.querySelector('#summary').innerHTML =
      '<dl class="facts">' +
      `<div><dt>Score</dt><dd>${typeof d.score_pct === 'number' ? num(d.score_pct, 1) + ' %' : '–'}</dd></div>` +
      `<div><dt>Intervals passed</dt><dd>${d.passed != null ? esc(d.passed) + ' of ' + esc(d.intervals) : '–'}</dd></div>` +
      `<div><dt>Last upload</dt><dd title="${esc(utc(seen))}">${esc(ago(seen))}</dd></div>` +
      '</dl>' +
      (reasons ? `<h2>Reasons</h2><ul class="reasons">${reasons}</ul>`
        : d.verdict === 'no_data' ? '<p class="muted">No interval from this site in this window.</p>'
          : '<p class="ok-note">No metric over its threshold in this window.</p>');
  }

  // Wired is the default path; any other link kind is named, so that a Wi-Fi line is never
  // mistaken for the wired one.
  function linkSuffix(c) {
    return c.link && c.link !== 'wired' ? ` (${c.link})` : '';
  }

  function seriesName(c) {
    return `${c.class} → ${c.target}${linkSuffix(c)}`;
  }

  function renderClasses(classes) {
    if (!classes.length) {
      app.querySelector('#classes').innerHTML = '<p class="muted">No intervals in this window.</p>';
      return;
    }
    let html = '<table class="grid" id="class-table"><thead><tr>' +
      '<th scope="col">Class</th><th scope="col">Target</th><th scope="col">Link</th>' +
      '<th scope="col" class="num">Passed</th>' +
      '<th scope="col" class="num">Loss fwd</th><th scope="col" class="num">Loss rev</th>' +
      '<th scope="col" class="num">Jitter fwd</th><th scope="col" class="num">Jitter rev</th>' +
      '<th scope="col" class="num">RTT mean</th><th scope="col" class="num">MOS</th>' +
      '</tr></thead><tbody>';
    for (const c of classes) {
      const pct = c.intervals ? (100 * c.passed) / c.intervals : null;
      html += '<tr>' +
        `<th scope="row">${esc(c.class)}</th><td>${esc(c.target)}</td><td>${esc(c.link || '–')}</td>` +
        `<td class="num">${c.intervals != null ? esc(c.passed) + ' / ' + esc(c.intervals) : '–'}` +
        `${pct != null ? ' (' + num(pct, 1) + ' %)' : ''}</td>` +
        `<td class="num">${num(c.loss_fwd_pct, 2)} %</td><td class="num">${num(c.loss_rev_pct, 2)} %</td>` +
        `<td class="num">${num(c.jitter_fwd_ms, 1)} ms</td><td class="num">${num(c.jitter_rev_ms, 1)} ms</td>` +
        `<td class="num">${num(c.rtt_ms_mean, 1)} ms</td><td class="num">${num(c.mos, 2)}</td></tr>`;
    }
    app.querySelector('#classes').innerHTML = html + '</tbody></table>';
  }

  function markName(m) {
    const n = Number(m);
    return DSCP_NAME[n] ? `${n} (${DSCP_NAME[n]})` : String(m);
  }

  // "46 (EF) 98.9 %, 0 (CS0) 1.1 %": the marks received, most frequent first.
  function seenMarks(seen, sent) {
    const entries = Object.entries(seen || {}).filter(([, n]) => n > 0);
    if (!entries.length) return '<span class="muted">–</span>';
    const total = entries.reduce((t, [, n]) => t + n, 0);
    entries.sort((a, b) => b[1] - a[1]);
    return entries.map(([m, n]) => {
      const cls = Number(m) === sent ? 'mark' : 'mark rewritten';
      return `<span class="${cls}">${esc(markName(m))} ${num((100 * n) / total, 1)} %</span>`;
    }).join(' ');
  }

  function keptCell(pct, sent) {
    // Best effort (CS0) is sent unmarked: a rewrite there is information, not a failure.
    const bad = sent !== 0 && typeof pct === 'number' && pct < DSCP_MIN_PRESERVED_PCT;
    return `<td class="num${bad ? ' bad' : ''}">${num(pct, 1)} %${bad ? ' <span class="sr">below 99 %</span>' : ''}</td>`;
  }

  function renderDscp(classes) {
    if (!classes.length) {
      app.querySelector('#dscp').innerHTML = '<p class="muted">No intervals in this window.</p>';
      return;
    }
    let html = '<table class="grid" id="dscp-table"><thead><tr>' +
      '<th scope="col">Class</th><th scope="col">Target</th><th scope="col">Sent mark</th>' +
      '<th scope="col">Seen forward</th><th scope="col" class="num">Kept fwd</th>' +
      '<th scope="col">Seen reverse</th><th scope="col" class="num">Kept rev</th>' +
      '</tr></thead><tbody>';
    for (const c of classes) {
      const sent = typeof c.dscp === 'number' ? c.dscp : CLASS_DSCP[c.class];
      html += `<tr data-class="${esc(c.class)}">` +
        `<th scope="row">${esc(c.class)}</th><td>${esc(c.target + linkSuffix(c))}</td>` +
        `<td>${sent != null ? esc(markName(sent)) : '–'}</td>` +
        `<td>${seenMarks(c.dscp_fwd_seen, sent)}</td>${keptCell(c.dscp_fwd_preserved_pct, sent)}` +
        `<td>${seenMarks(c.dscp_rev_seen, sent)}</td>${keptCell(c.dscp_rev_preserved_pct, sent)}</tr>`;
    }
    app.querySelector('#dscp').innerHTML = html + '</tbody></table>';
  }

  /* ---- charts ---- */

  // Each chart: which point fields it draws per class/target series, and how a time bucket keeps
  // them: the worst value (max, or min for MOS), so a short bad peak is never averaged away.
  const CHARTS = [
    { id: 'rtt', title: 'RTT (ms)', fields: [['rtt_ms', '']], worst: Math.max, digits: 1 },
    { id: 'jitter', title: 'Jitter (ms)', fields: [['jitter_fwd_ms', 'fwd'], ['jitter_rev_ms', 'rev']],
      worst: Math.max, digits: 1 },
    { id: 'loss', title: 'Loss (%)', fields: [['loss_fwd_pct', 'fwd'], ['loss_rev_pct', 'rev']],
      worst: Math.max, digits: 2 },
    { id: 'mos', title: 'MOS', fields: [['mos', '']], worst: Math.min, digits: 2, range: [1, 5] },
  ];
  const BUCKETS_S = [15, 60, 300, 600, 900, 1800, 3600, 7200, 21600, 86400];
  const CHART_HEIGHT = 220;

  // 24 h of 15 s intervals is 5,760 points per line: more than a chart has pixels. Points are
  // grouped into time buckets of about 3 px; uPlot wants one shared x array, so every series
  // uses the same bucket starts, with null where a series has no point (drawn as a gap).
  function bucketSeries(series, widthPx) {
    let lo = Infinity;
    let hi = -Infinity;
    const parsed = series.map((s) => (s.points || []).map((p) => {
      const t = parseTime(p.t);
      if (t != null) {
        lo = Math.min(lo, t / 1000);
        hi = Math.max(hi, t / 1000);
      }
      return { t: t == null ? null : t / 1000, p };
    }).filter((e) => e.t != null));
    const want = Math.max(1, (hi - lo) / Math.max(1, widthPx / 3));
    const step = BUCKETS_S.find((b) => b >= want) || BUCKETS_S[BUCKETS_S.length - 1];
    const times = new Set();
    const maps = parsed.map((pts) => {
      const m = new Map(); // bucket start (s) -> the bucket's points
      for (const e of pts) {
        const b = Math.floor(e.t / step) * step;
        if (!m.has(b)) m.set(b, []);
        m.get(b).push(e.p);
        times.add(b);
      }
      return m;
    });
    return { xs: Array.from(times).sort((a, b) => a - b), maps, step };
  }

  function chartWidth(el) {
    return Math.max(300, Math.floor(el.clientWidth));
  }

  // uPlot's axis labels are US style ("6pm", "11/26/26"); operators read 24 h and ISO dates.
  function fmt24h(tpl) {
    return uPlot.fmtDate(tpl.replace(/\{h\}\{aa\}/g, '{HH}:00').replace(/\{h\}/g, '{HH}')
      .replace(/\{aa\}/g, '').replace(/\{M\}\/\{D\}\/\{YY\}/g, '{YYYY}-{MM}-{DD}')
      .replace(/\{M\}\/\{D\}/g, '{MM}-{DD}'));
  }

  function stepLabel(step) {
    return step < 60 ? `${step} s` : step < 3600 ? `${step / 60} min` : `${step / 3600} h`;
  }

  // Classes in DESIGN order, then by target: a class keeps its colour across sites and refreshes.
  function seriesOrder(a, b) {
    const rank = (s) => (s.class in CLASS_DSCP ? Object.keys(CLASS_DSCP).indexOf(s.class) : 99);
    return rank(a) - rank(b) || String(a.class).localeCompare(String(b.class)) ||
      String(a.target).localeCompare(String(b.target)) ||
      String(b.link || '').localeCompare(String(a.link || '')); // wired before wifi before other
  }

  function renderCharts(unsorted) {
    const series = unsorted.slice().sort(seriesOrder);
    const box = app.querySelector('#charts');
    if (!series.length || !series.some((s) => (s.points || []).length)) {
      destroyCharts();
      box.innerHTML = '<p class="muted">No intervals in the last 24 hours.</p>';
      return;
    }
    if (typeof uPlot === 'undefined') {
      box.innerHTML = '<p class="error">The chart library (vendor/uplot) did not load.</p>';
      return;
    }
    // Name lines by class alone when every series goes to the same target.
    const oneTarget = new Set(series.map((s) => s.target)).size === 1;
    const name = (s) => (oneTarget ? s.class + linkSuffix(s) : seriesName(s));
    const key = series.map(seriesName).join('|');
    const fresh = !(key === chartKey && charts.length === CHARTS.length);
    if (fresh) {
      destroyCharts();
      chartKey = key;
      box.innerHTML = CHARTS.map((def) =>
        `<figure class="chart" id="chart-${def.id}"><figcaption>${def.title}` +
        '<span class="step muted"></span></figcaption><div class="plot"></div></figure>'
      ).join('');
    }
    const width = chartWidth(box.querySelector('.plot'));
    const { xs, maps, step } = bucketSeries(series, width);
    for (const el of box.querySelectorAll('.step')) {
      el.textContent = step > 15 ? ` · worst per ${stepLabel(step)}` : '';
    }

    CHARTS.forEach((def, i) => {
      const data = [xs];
      maps.forEach((m) => def.fields.forEach(([field]) => {
        data.push(xs.map((t) => {
          const vals = (m.get(t) || []).map((p) => p[field]).filter((v) => typeof v === 'number');
          return vals.length ? def.worst(...vals) : null;
        }));
      }));
      // Same paths as last time: only swap the data (keeps the DOM and the legend in place).
      if (!fresh) {
        charts[i].setData(data);
        return;
      }
      const fig = box.querySelector(`#chart-${def.id}`);
      const uSeries = [{ label: 'UTC', value: (u, v) => (v == null ? '–' : utc(v * 1000)) }];
      series.forEach((s, si) => {
        const colour = PALETTE[si % PALETTE.length];
        def.fields.forEach(([, dir], fi) => {
          uSeries.push({
            label: dir ? `${name(s)} ${dir}` : name(s),
            stroke: colour,
            width: 1.25,
            dash: fi > 0 ? [5, 3] : undefined, // reverse direction dashed
            spanGaps: false,
            value: (u, v) => (v == null ? '–' : v.toFixed(def.digits)),
          });
        });
      });
      const opts = {
        width,
        height: CHART_HEIGHT,
        series: uSeries,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'), // the API's times are UTC
        fmtDate: fmt24h,
        scales: { y: { range: def.range || ((u, lo, hi) => [0, hi > 0 ? hi * 1.1 : 1]) } },
        axes: [{}, { size: 50 }],
        cursor: { drag: { x: true, y: false } },
      };
      charts.push(new uPlot(opts, data, fig.querySelector('.plot')));
    });
  }

  let resizePending = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(resizePending);
    resizePending = requestAnimationFrame(() => {
      charts.forEach((c) => {
        c.setSize({ width: chartWidth(c.root.parentNode), height: CHART_HEIGHT });
      });
    });
  });

  function renderFailing(failing) {
    const box = app.querySelector('#failing');
    if (!failing.length) {
      box.innerHTML = '<p class="ok-note">No failing interval in this window.</p>';
      return;
    }
    let html = '<p class="muted">The latest ' + failing.length + ' failing intervals, newest first.</p>' +
      '<div class="scroll"><table class="grid" id="failing-table"><thead><tr><th scope="col">Start</th><th scope="col">Class</th>' +
      '<th scope="col">Target</th><th scope="col">Reasons</th></tr></thead><tbody>';
    const rows = failing.slice().sort((a, b) => (parseTime(b.start) || 0) - (parseTime(a.start) || 0));
    for (const f of rows) {
      html += `<tr><td class="nowrap">${esc(utc(parseTime(f.start)))}</td><td>${esc(f.class)}</td>` +
        `<td>${esc(f.target)}</td><td>${(f.reasons || []).map(esc).join('<br>')}</td></tr>`;
    }
    box.innerHTML = html + '</tbody></table></div>';
  }

  /* ---- routing and refresh ---- */

  let load = null; // the current view's loader: load(seq) fetches and redraws

  async function refresh() {
    if (!load) return;
    const seq = loadSeq;
    try {
      await load(seq);
      if (seq === loadSeq) setStatus('Updated ' + new Date().toLocaleTimeString());
    } catch (e) {
      if (seq === loadSeq) setStatus('Update failed: ' + e.message + ' (retrying in 30 s)', true);
    }
  }

  function route() {
    loadSeq++;
    const m = location.hash.match(/^#\/site\/(.+)$/);
    if (m) {
      let name;
      try {
        name = decodeURIComponent(m[1]);
      } catch (e) {
        name = m[1];
      }
      load = showSite(name);
    } else {
      load = showList();
    }
    setStatus('Loading…');
    refresh();
    clearInterval(timer);
    timer = setInterval(() => {
      if (!document.hidden) refresh(); // a background tab does not poll
    }, REFRESH_MS);
  }

  // Coming back to a background tab: redraw at once rather than up to 30 s later.
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refresh();
  });
  window.addEventListener('hashchange', () => {
    route();
    app.focus(); // screen readers start reading the new view, not the old link
  });
  route();
})();
