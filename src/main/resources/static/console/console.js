// The bridge's console: reads and changes the bridge through its JSON API (/api), with the browser's
// session and the page's CSRF token. Text from the API (cohort names, errors) is only ever set as
// text, never as markup. Controls exist only on an ADMIN's page; the API refuses a VIEWER's change anyway.
'use strict';

const admin = document.body.dataset.admin === 'true';
const csrf = { header: meta('csrf-header'), token: meta('csrf-token') };
let runsTimer = null;

function meta(name) {
  return document.querySelector(`meta[name="${name}"]`).content;
}

/** Calls the API; resolves to the JSON answer, or rejects with the API's message. */
async function api(method, path, body) {
  // X-Requested-With: an expired session gets a 401 without a browser password dialog
  const headers = { Accept: 'application/json', 'X-Requested-With': 'console' };
  if (method !== 'GET') headers[csrf.header] = csrf.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) { // the session ended: sign in again
    window.location.assign('/login');
    throw new Error('signed out');
  }
  const text = await response.text();
  let answer = null;
  try { answer = text ? JSON.parse(text) : null; } catch (e) { answer = null; }
  if (!response.ok) {
    throw new Error(answer && answer.message ? answer.message : `the bridge answered ${response.status}`);
  }
  return answer;
}

/** An element with attributes and children (strings become text). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function say(problem) {
  const message = document.getElementById('message');
  message.textContent = problem || '';
  message.hidden = !problem;
}

/**
 * Runs an action; its failure is said at the top of the page, in the API's words. An action the
 * user started clears what was said before; a background refresh (quiet) does not.
 */
async function act(action, quiet = false) {
  if (!quiet) say(null);
  try {
    await action();
  } catch (e) {
    if (e.message !== 'signed out') say(e.message);
  }
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
}

function duration(run) {
  if (!run.startedAt) return '';
  const end = run.endedAt ? new Date(run.endedAt) : new Date();
  const seconds = Math.max(0, Math.round((end - new Date(run.startedAt)) / 1000));
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

// Integration

async function showIntegration() {
  const state = await api('GET', '/api/integration');
  const line = document.getElementById('integration-state');
  line.replaceChildren();
  if (state.connected) {
    line.append(el('span', { class: 'connected', id: 'connected' }, 'Connected'),
      ` to Iterable ${state.iterable.dataCenter} since ${when(state.connectedAt)}, key ${state.iterable.apiKey}`
        + (state.iterable.keyFrom ? ` (${state.iterable.keyFrom})` : ''));
  } else {
    line.append(el('span', { id: 'not-connected' }, 'Not connected'));
  }
  if (state.problem) line.append(el('p', { class: 'problem' }, state.problem));
  if (admin) {
    document.getElementById('disconnect').hidden = !state.connected;
  }
}

function wireIntegration() {
  if (!admin) return;
  document.getElementById('connect-form').addEventListener('submit', (event) => {
    event.preventDefault();
    act(async () => {
      await api('PUT', '/api/integration', {
        dataCenter: document.getElementById('data-center').value,
        apiKeyRef: document.getElementById('api-key-ref').value.trim(),
      });
      await refresh();
    });
  });
  document.getElementById('disconnect').addEventListener('click', () => {
    if (!window.confirm('Disconnect Iterable? Dynamic syncs stop; the lists in Iterable and the history stay.')) return;
    act(async () => {
      await api('DELETE', '/api/integration');
      await refresh();
    });
  });
}

// Cohorts and exports

async function showCohorts() {
  const [cohorts, exports] = await Promise.all([api('GET', '/api/cohorts'), api('GET', '/api/exports')]);
  document.getElementById('exports-state').textContent = exports.enabled ? ''
    : `Exports are off until these are set: ${exports.missingSettings.join(', ')}`;
  const rows = cohorts.map((cohort) => {
    const exported = cohort.export;
    const active = exported && exported.status === 'active';
    const declared = exported && exported.origin === 'config';
    const cells = [
      el('td', {}, cohort.name),
      el('td', { class: 'number' }, cohort.id),
      el('td', { class: 'number' }, cohort.size ?? ''),
      el('td', { class: 'export-state' }, !exported ? 'not exported'
        : `${exported.sync}, ${exported.status}${declared ? ' (declared in application.yaml)' : ''}`),
      el('td', { class: 'last-run' }, exported ? when(exported.lastRunAt) : ''),
      el('td', {}, el('button', { type: 'button', class: 'show-runs', onclick: () => act(() => showRuns(cohort.id, cohort.name)) }, 'Runs'),
        admin && !declared ? controls(cohort, active) : null),
    ];
    return el('tr', { 'data-cohort': cohort.id }, ...cells);
  });
  document.querySelector('#cohort-table tbody').replaceChildren(...rows);
}

function controls(cohort, active) {
  if (active && cohort.export.sync === 'push') { // its runs start when Mixpanel sends the cohort
    return el('span', { class: 'controls' }, stopButton(cohort), ' runs when Mixpanel sends the cohort');
  }
  const sync = el('select', { class: 'sync', 'aria-label': 'sync' },
    el('option', { value: 'one-time' }, 'one-time'), el('option', { value: 'dynamic' }, 'dynamic'));
  const parts = [sync, el('button', { type: 'button', class: 'start-sync', onclick: () => act(async () => {
    await api('POST', '/api/exports', { cohortId: cohort.id, sync: sync.value });
    await showCohorts();
    await showRuns(cohort.id, cohort.name, true);
  }) }, 'Start sync')];
  if (active) {
    parts.push(el('button', { type: 'button', class: 'run-now', onclick: () => act(async () => {
      await api('POST', `/api/exports/${encodeURIComponent(cohort.id)}/run`);
      await showRuns(cohort.id, cohort.name, true);
    }) }, 'Run now'));
    parts.push(stopButton(cohort));
  }
  return el('span', { class: 'controls' }, ...parts);
}

function stopButton(cohort) {
  return el('button', { type: 'button', class: 'stop', onclick: () => act(async () => {
    if (!window.confirm(`Stop exporting ${cohort.name}? The Iterable list stays as it is.`)) return;
    await api('DELETE', `/api/exports/${encodeURIComponent(cohort.id)}`);
    await showCohorts();
  }) }, 'Stop');
}

// Runs: a running run is followed until it ends (following: a run was just started or is followed);
// when it has ended, the cohorts are shown again (its export's last run changed)

let runsShown = 0; // which showRuns call the table belongs to: an older answer is dropped

async function showRuns(cohortId, name, following = false) {
  clearTimeout(runsTimer);
  const mine = ++runsShown;
  let runs;
  try {
    runs = await api('GET', `/api/exports/${encodeURIComponent(cohortId)}/runs`);
  } catch (e) {
    if (following && mine === runsShown) { // a failed look does not stop following the run
      runsTimer = setTimeout(() => act(() => showRuns(cohortId, name, true), true), 5000);
    }
    throw e;
  }
  if (mine !== runsShown) return;
  document.getElementById('runs').hidden = false;
  document.getElementById('runs-cohort').textContent = `${name} (${cohortId})`;
  const number = (value) => el('td', { class: 'number' }, value ?? '');
  document.querySelector('#run-table tbody').replaceChildren(...runs.map((run) => el('tr', { 'data-run': run.runId },
    el('td', { class: `status status-${run.status}` }, run.status),
    el('td', {}, run.trigger),
    el('td', {}, when(run.startedAt)),
    el('td', {}, duration(run)),
    number(run.cohortMembers), number(run.withEmail), number(run.skippedNoEmail),
    number(run.added), number(run.removed), number(run.failed),
    el('td', { class: 'error' }, run.error || ''),
    // a report is kept for runs that went through (the newest of them: bridge.exports.reports-kept)
    el('td', {}, ['succeeded', 'failed'].includes(run.status)
      ? el('a', { href: run.report, class: 'report', download: true }, 'report.csv') : ''))));
  if (runs.some((run) => run.status === 'running')) {
    runsTimer = setTimeout(() => act(() => showRuns(cohortId, name, true), true), 2000);
  } else if (following) {
    await showCohorts(); // the run that ended changed its export's last run
  }
}

// Events

async function showEvents() {
  const month = document.getElementById('month').value;
  const [mtu, forwarding, rejected] = await Promise.all([
    api('GET', `/api/mtu?month=${encodeURIComponent(month)}`), api('GET', '/api/forwarding'), api('GET', '/api/rejected')]);
  const facts = [['Monthly tracked users', mtu.monthlyTrackedUsers], ['Billable events', mtu.billableEvents],
    ['MTU-exempt events', mtu.exemptEvents], ['Users with exempt events only', mtu.exemptOnlyUsers]];
  document.getElementById('mtu').replaceChildren(...facts.flatMap(([label, value]) => [el('dt', {}, label),
    el('dd', { 'data-fact': label }, value)]));
  document.getElementById('forwarding-state').textContent = forwarding.enabled
    ? `${forwarding.state}: ${forwarding.pending} waiting, ${forwarding.forwarded} forwarded, ${forwarding.rejected} refused by Mixpanel`
      + (forwarding.lastError ? `; last error ${when(forwarding.lastError.at)}: ${forwarding.lastError.message}` : '')
    : `off${forwarding.reason ? `: ${forwarding.reason}` : ''}`;
  document.querySelector('#rejected-table tbody').replaceChildren(...rejected.map((r) => el('tr', {},
    el('td', {}, when(r.receivedAt)), el('td', {}, r.source), el('td', { class: 'number' }, r.httpStatus), el('td', {}, r.reason))));
}

async function refresh() {
  await showIntegration();
  await showCohorts();
}

document.getElementById('month').value = new Date().toISOString().slice(0, 7);
document.getElementById('month-form').addEventListener('submit', (event) => {
  event.preventDefault();
  act(showEvents);
});
wireIntegration();
act(refresh);
act(showEvents);
