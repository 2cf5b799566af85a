// The sync console's script. The page and its fragments are rendered by the server; this
// script only carries the operator's token: kept in this tab's sessionStorage, sent as a
// bearer token on every call (the API's JWT authorizer reads no cookie), with the returned
// markup put in place. It calls the admin API for "Sync with Salesforce", "Resolve" on a
// process exception, "Run now" and the settings.
'use strict';

(() => {
  const TOKEN = 'storesync.operator-token';
  const MESSAGE = 'storesync.sign-in-message';
  const SIGN_IN = '/admin/sign-in';
  const POLL_EVERY_MS = 1000;
  const POLL_TRIES = 20;

  const token = () => sessionStorage.getItem(TOKEN);
  const byId = (id) => document.getElementById(id);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /** A call the server refused: its status and problem (RFC 9457), if it sent one. */
  class Refusal extends Error {
    constructor(status, problem) {
      super(problem.detail || problem.title || `The server answered ${status}.`);
      this.status = status;
      this.problem = problem;
    }
  }

  async function call(path, { method = 'GET', body, accept = 'text/html' } = {}) {
    const headers = { Accept: accept };
    if (token()) headers.Authorization = `Bearer ${token()}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
    if (!response.ok) {
      let problem = {};
      if ((response.headers.get('Content-Type') || '').includes('json')) {
        problem = await response.json().catch(() => ({}));
      }
      throw new Refusal(response.status, problem);
    }
    return response;
  }

  /** The element `selector` of the markup at `path`. */
  async function fragment(path, selector) {
    const response = await call(path);
    const template = document.createElement('template');
    template.innerHTML = await response.text();
    const found = template.content.querySelector(selector);
    if (!found) throw new Error(`${path} holds no ${selector}`);
    return document.importNode(found, true);
  }

  // --- signing in and out ---

  function signInProblem(text) {
    const problem = byId('sign-in-problem');
    if (!problem) return false;
    problem.textContent = text;
    problem.hidden = false;
    return true;
  }

  /** The token was refused: forget it and ask for another. */
  function signOut(message) {
    sessionStorage.removeItem(TOKEN);
    if (message && signInProblem(message)) return;
    if (message) sessionStorage.setItem(MESSAGE, message);
    window.location.assign(SIGN_IN);
  }

  function refusalMessage(status) {
    return status === 403
      ? 'This token is not an operator\u2019s (admin group). Sign in with an operator\u2019s token.'
      : 'The token was refused (expired or not valid). Sign in again.';
  }

  /** Shows `error` in `box`, or signs out when it says the token is not (or no longer) good. */
  function report(error, box) {
    if (error instanceof Refusal && (error.status === 401 || error.status === 403)) {
      signOut(refusalMessage(error.status));
      return;
    }
    box.replaceChildren();
    const title = document.createElement('strong');
    title.textContent = error instanceof Refusal
      ? `${error.problem.title || 'Refused'} (${error.status})`
      : 'The console could not reach the server';
    const detail = document.createElement('span');
    detail.textContent = ` ${error.message}`;
    box.append(title, detail);
    const errors = error instanceof Refusal ? error.problem.errors || [] : [];
    if (errors.length) {
      const list = document.createElement('ul');
      for (const { field, message } of errors) {
        const item = document.createElement('li');
        item.textContent = field ? `${field}: ${message}` : message;
        list.append(item);
      }
      box.append(list);
    }
    box.hidden = false;
  }

  async function openConsole() {
    const response = await call('/admin');
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    const main = page.querySelector('main#console');
    if (!main) throw new Error('the console page has no main section');
    document.querySelector('main#console').replaceWith(document.adoptNode(main));
    document.title = page.title;
  }

  function signIn(form) {
    const pasted = form.elements.token.value.trim().replace(/^Bearer\s+/i, '');
    if (!pasted) {
      signInProblem('Paste a token first.');
      return;
    }
    sessionStorage.setItem(TOKEN, pasted);
    byId('sign-in-problem').hidden = true;
    openConsole().catch((error) => report(error, byId('sign-in-problem')));
  }

  // --- the grid ---

  const grid = () => byId('grid');
  const gridProblem = () => byId('grid-problem');

  function syncStatus(text) {
    const status = byId('sync-status');
    if (status) status.textContent = text;
  }

  async function loadGrid({ kind, state, after } = {}) {
    const params = new URLSearchParams({
      kind: kind || grid().dataset.kind,
      state: state || byId('grid-filter').elements.state.value,
    });
    const from = after === undefined ? '' : after;
    if (from) params.set('after', from);
    syncStatus('');
    try {
      const fresh = await fragment(`/admin/grid?${params}`, '#grid');
      grid().replaceWith(fresh);
      gridProblem().hidden = true;
    } catch (error) {
      report(error, gridProblem());
    }
  }

  /** Presses `button` among the tabs and shows the sync grid or the process exceptions. */
  function pressTab(button) {
    for (const tab of document.querySelectorAll('.tabs button')) {
      tab.setAttribute('aria-pressed', String(tab === button));
    }
    const exceptionsShown = button.dataset.action === 'show-exceptions';
    byId('sync-panel').hidden = exceptionsShown;
    byId('exceptions-panel').hidden = !exceptionsShown;
    byId('records-title').textContent = exceptionsShown ? 'Process exceptions' : 'Salesforce sync';
  }

  function showKind(button) {
    pressTab(button);
    loadGrid({ kind: button.dataset.kind });
  }

  /** What one row of each kind is called; each kind is also its key in a sync request. */
  const ONE = { orders: 'order', customers: 'customer', carts: 'cart' };

  /** Puts each changed row in place of the row it shows; returns the rows now shown. */
  function replaceRows(changes) {
    const replaced = [];
    for (const row of changes.querySelectorAll('tr[data-id]')) {
      const shown = grid().querySelector(`tr[data-id="${CSS.escape(row.dataset.id)}"]`);
      if (!shown) continue;
      const fresh = document.importNode(row, true);
      shown.replaceWith(fresh);
      replaced.push(fresh);
    }
    return replaced;
  }

  /** "Sync with Salesforce" on `ids`: asks for it, then watches their rows until each has
   * an outcome (or the polls run out). */
  async function requestSync(ids) {
    const kind = grid().dataset.kind;
    const noun = `${ids.length} ${ONE[kind]}${ids.length === 1 ? '' : 's'}`;
    const body = { [kind]: ids };
    syncStatus(`Sending ${noun} to Salesforce\u2026`);
    let request;
    try {
      const response = await call('/v1/admin/sync/requests', {
        method: 'POST',
        body,
        accept: 'application/json',
      });
      request = await response.json();
    } catch (error) {
      syncStatus('');
      report(error, gridProblem());
      return;
    }
    syncStatus(`Sync requested for ${noun}; waiting for Salesforce\u2026`);
    const outcome = new Map();
    const since = new URLSearchParams({ kind, since: request.requested_at });
    for (let attempt = 0; attempt < POLL_TRIES && outcome.size < ids.length; attempt += 1) {
      await sleep(POLL_EVERY_MS);
      try {
        const changes = await fragment(`/admin/grid/changes?${since}`, '#changes');
        for (const row of replaceRows(changes)) {
          if (ids.includes(row.dataset.id) && row.dataset.state !== 'pending') {
            outcome.set(row.dataset.id, row.dataset.state);
          }
        }
      } catch (error) {
        report(error, gridProblem());
        return;
      }
    }
    const count = (state) => [...outcome.values()].filter((s) => s === state).length;
    const waiting = ids.length - outcome.size;
    syncStatus(
      `${count('synced')} synced, ${count('failed')} failed` +
        (waiting ? `, ${waiting} still waiting (look again later)` : '') +
        '. Rows stay where they are until the list is shown again.',
    );
  }

  function selected() {
    return [...grid().querySelectorAll('input[name="select"]:checked')].map((box) => box.value);
  }

  // --- the process exceptions ---

  const exceptionsProblem = () => byId('exceptions-problem');

  function exceptionsStatus(text) {
    const status = byId('exceptions-status');
    if (status) status.textContent = text;
  }

  /** The page of exceptions after `after` (the first when empty) in the chosen status. */
  async function loadExceptions({ status, after } = {}) {
    const params = new URLSearchParams({
      status: status || byId('exceptions-filter').elements.status.value,
    });
    if (after) params.set('after', after);
    try {
      byId('exceptions').replaceWith(await fragment(`/admin/exceptions?${params}`, '#exceptions'));
      exceptionsProblem().hidden = true;
    } catch (error) {
      report(error, exceptionsProblem());
    }
  }

  function showExceptions(button) {
    pressTab(button);
    exceptionsStatus('');
    loadExceptions();
  }

  /** "Resolve": sends the note, then shows the page again, where the exception is no longer
   * open. A refusal (a blank note, a conflicting change) is shown as the API says it. */
  async function resolveException(form) {
    const note = form.elements.resolution;
    const button = form.querySelector('button[type="submit"]');
    exceptionsProblem().hidden = true;
    note.removeAttribute('aria-invalid');
    button.disabled = true;
    try {
      const response = await call(
        `/v1/admin/exceptions/${encodeURIComponent(form.dataset.id)}/resolve`,
        { method: 'POST', body: { resolution: note.value }, accept: 'application/json' },
      );
      const resolved = await response.json();
      await loadExceptions({ after: byId('exceptions').dataset.after });
      exceptionsStatus(
        `Resolved by ${resolved.resolved_by}: ${resolved.resolution}`,
      );
    } catch (error) {
      exceptionsStatus('');
      report(error, exceptionsProblem());
      if (error instanceof Refusal && (error.problem.errors || []).length) {
        note.setAttribute('aria-invalid', 'true');
      }
    } finally {
      button.disabled = false;
    }
  }

  // --- the jobs ---

  function jobsStatus(text) {
    const status = byId('jobs-status');
    if (status) status.textContent = text;
  }

  /** "Run now": asks for the run, then reads the runs again until it shows (or the polls
   * run out). Without a job queue the API answers 503, which is shown as it says. */
  async function runJob(button) {
    const job = button.dataset.job;
    const problem = byId('jobs-problem');
    problem.hidden = true;
    button.disabled = true;
    jobsStatus(`Asking for a run of ${job}\u2026`);
    try {
      const response = await call(`/v1/admin/jobs/${encodeURIComponent(job)}`, {
        method: 'POST',
        accept: 'application/json',
      });
      const request = await response.json();
      jobsStatus(`${job} will run shortly; waiting for its run\u2026`);
      const mine = `tr[data-request="${CSS.escape(request.request_id)}"]`;
      for (let attempt = 0; attempt < POLL_TRIES; attempt += 1) {
        await sleep(POLL_EVERY_MS);
        const runs = await fragment('/admin/jobs', '#job-runs');
        byId('job-runs').replaceWith(runs);
        const run = runs.querySelector(mine);
        if (run) {
          const failed = run.querySelector('.run-failed');
          jobsStatus(failed ? `${job} failed: ${failed.textContent}` : `${job} ran.`);
          return;
        }
      }
      jobsStatus(`${job} has not run yet; look again later.`);
    } catch (error) {
      jobsStatus('');
      report(error, problem);
    } finally {
      button.disabled = false;
    }
  }

  // --- the settings ---

  /** The whole settings as the form holds them, typed as each field's data-type says. */
  function settingsBody(form) {
    const body = {};
    for (const field of form.querySelectorAll('[data-type]')) {
      const [name, key] = field.name.split('.');
      const raw = field.value.trim();
      let value;
      switch (field.dataset.type) {
        case 'bool':
          value = field.checked;
          break;
        case 'number':
          value = raw === '' ? null : Number(raw);
          break;
        case 'id':
          value = raw === '' ? null : raw;
          break;
        case 'stage':
          body[name] = body[name] || {};
          if (raw === '') continue;
          value = field.value;
          break;
        case 'amounts':
          body[name] = body[name] || {};
          if (raw === '') continue;
          value = Number(raw);
          break;
        default:
          value = field.value;
      }
      if (key === undefined) body[name] = value;
      else body[name][key] = value;
    }
    return body;
  }

  async function saveSettings(form) {
    const problem = byId('settings-problem');
    problem.hidden = true;
    for (const field of form.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
    try {
      const response = await call('/v1/admin/sync/settings', {
        method: 'PUT',
        body: settingsBody(form),
        accept: 'application/json',
      });
      const saved = await response.json();
      form.replaceWith(await fragment('/admin/settings', '#settings'));
      byId('settings-status').textContent = `Saved as version ${saved.version}.`;
    } catch (error) {
      report(error, problem);
      if (!(error instanceof Refusal)) return;
      if (error.status === 409) {
        const reload = document.createElement('button');
        reload.type = 'button';
        reload.dataset.action = 'reload-settings';
        reload.textContent = 'Read them again';
        problem.append(' Someone saved the settings since you read them. ', reload);
      }
      for (const { field } of error.problem.errors || []) {
        const input = form.querySelector(`[name="${CSS.escape(field)}"]`);
        if (input) input.setAttribute('aria-invalid', 'true');
      }
    }
  }

  async function reloadSettings() {
    try {
      byId('settings').replaceWith(await fragment('/admin/settings', '#settings'));
    } catch (error) {
      report(error, byId('settings-problem'));
    }
  }

  // --- events, delegated: the console's markup is replaced as it goes ---

  document.addEventListener('submit', (event) => {
    const form = event.target;
    event.preventDefault();
    if (form.id === 'sign-in') signIn(form);
    else if (form.id === 'settings') saveSettings(form);
    else if (form.id === 'grid-filter') loadGrid();
    else if (form.id === 'exceptions-filter') loadExceptions();
    else if (form.matches('form.resolve')) resolveException(form);
  });

  document.addEventListener('change', (event) => {
    const target = event.target;
    if (target.closest('#grid-filter') && target.name === 'state') loadGrid({ state: target.value });
    if (target.closest('#exceptions-filter') && target.name === 'status') {
      exceptionsStatus('');
      loadExceptions({ status: target.value });
    }
    if (target.dataset.action === 'select-all') {
      for (const box of grid().querySelectorAll('input[name="select"]')) box.checked = target.checked;
    }
  });

  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    switch (button.dataset.action) {
      case 'sign-out':
        signOut();
        break;
      case 'show-kind':
        showKind(button);
        break;
      case 'show-exceptions':
        showExceptions(button);
        break;
      case 'exceptions-page':
        loadExceptions({ after: button.dataset.after });
        break;
      case 'run-job':
        runJob(button);
        break;
      case 'page':
        loadGrid({ after: button.dataset.after });
        break;
      case 'sync-selected': {
        const ids = selected();
        if (ids.length) requestSync(ids);
        else syncStatus('Select the rows to sync first.');
        break;
      }
      case 'sync-one':
        requestSync([button.dataset.id]);
        break;
      case 'reload-settings':
        reloadSettings();
        break;
      default:
    }
  });

  if (byId('sign-in')) {
    const message = sessionStorage.getItem(MESSAGE);
    if (message) {
      sessionStorage.removeItem(MESSAGE);
      signInProblem(message);
    }
    if (token()) openConsole().catch((error) => report(error, byId('sign-in-problem')));
  }
})();
