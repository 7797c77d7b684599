/* global document, fetch, location, navigator, URL, setTimeout, clearTimeout, print */
// The setup page's script: reads the setup link's token from the fragment (it never reaches a
// server) and calls the service's API with it, step by step of the setup guide.
'use strict';

(() => {
  const token = decodeURIComponent(location.hash.slice(1));
  const $ = (id) => document.getElementById(id);
  const state = { partnerId: '', partner: null };
  const SIGN_IN_HOSTS = {
    global: 'login.microsoftonline.com',
    usgov: 'login.microsoftonline.us',
    usgovdod: 'login.microsoftonline.us',
  };
  const STEP_OF_CHECK = {
    'Step 1': 'step1',
    'Step 2': 'step2',
    'Step 3': 'step2',
    'Step 4': 'step4',
    Exchan: 'exchange',
  };

  async function api(method, path, body) {
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const type = res.headers.get('content-type') || '';
    const data = type.includes('json') ? await res.json() : await res.text();
    return { ok: res.ok, status: res.status, data };
  }

  const partnerPath = (suffix = '') => `/partners/${encodeURIComponent(state.partnerId)}${suffix}`;

  function say(id, text) {
    $(id).textContent = text;
  }

  /** Each of the API's messages beside its field; what has no field goes to `fallback`. */
  function showProblem(form, problem, fallback) {
    for (const el of form.querySelectorAll('.error')) el.textContent = '';
    const errors = (problem && problem.errors) || [];
    let placed = false;
    for (const error of errors) {
      const name = String(error.field || '').replace(/^body\./, '');
      const el = $(`${name}-error`);
      if (el) {
        el.textContent = error.message;
        $(name).setAttribute('aria-invalid', 'true');
        $(name).setAttribute('aria-describedby', `${name}-error`);
        placed = true;
      }
    }
    if (!placed && fallback)
      say(fallback, (problem && (problem.detail || problem.title)) || 'Something went wrong.');
  }

  function clearProblem(form) {
    for (const el of form.querySelectorAll('.error')) el.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  }

  function fill(partner) {
    state.partner = partner;
    for (const name of [
      'applicationId',
      'tenantId',
      'cloud',
      'operatorLocalMatchField',
      'operatorRemoteMatchField',
      'userLocalMatchField',
      'userRemoteMatchField',
    ]) {
      // On TARGETconnect's app the application id is the platform's, not one to edit here.
      if (name === 'applicationId' && partner.credentialType === 'platformApp') continue;
      if (partner[name] !== undefined && partner[name] !== null) $(name).value = partner[name];
    }
    const host = SIGN_IN_HOSTS[partner.cloud] || SIGN_IN_HOSTS.global;
    const consent = new URL(`https://${host}/${encodeURIComponent(partner.tenantId)}/adminconsent`);
    consent.searchParams.set('client_id', partner.applicationId);
    $('consent-link').href = consent.toString();
    const credential =
      partner.credentialType === 'certificate'
        ? 'Tokens are signed with the newest valid certificate.'
        : partner.hasClientSecret
          ? `Tokens are signed with the client secret${partner.clientSecretExpiresAt ? `, which ${expiryWords(partner.clientSecretExpiresAt)}` : ''}.`
          : 'No credential is stored yet.';
    say('credential-state', credential);
    showWay(partner);
    // The Exchange step is there only for calendar-backed meetings.
    $('exchange').hidden = partner.meetingMode !== 'calendarEvent';
    $('glance-exchange-item').hidden = partner.meetingMode !== 'calendarEvent';
  }

  /** Copies a value and says so beside it. */
  async function copyText(text, savedId, message) {
    await navigator.clipboard.writeText(text);
    say(savedId, message);
  }

  /**
   * The advisers of a check as a table: found in Entra ID, the Teams access policy and (calendar
   * mode) the calendar, each with its fix beside it when it fails.
   */
  function adviserTable(result) {
    const table = $('advisers');
    const body = table.querySelector('tbody');
    body.textContent = '';
    const calendar = state.partner && state.partner.meetingMode === 'calendarEvent';
    $('advisers-calendar-head').hidden = !calendar;
    const operators = result.operators || [];
    table.hidden = operators.length === 0;
    operators.forEach((operator, index) => {
      const row = document.createElement('tr');
      const name = document.createElement('th');
      name.scope = 'row';
      name.textContent = Object.values(operator)[0];
      row.append(name);
      const ids = [`operator-lookup:${index}`, `access-policy:${index}`];
      if (calendar) ids.push(`calendar:${index}`);
      for (const id of ids) {
        const check = result.checks.find((c) => c.id === id);
        const cell = document.createElement('td');
        const status =
          !check || check.status === 'skip' ? 'not checked' : check.status === 'fail' ? 'no' : 'yes';
        cell.className = check ? `status-${check.status}` : '';
        cell.textContent = status;
        if (check && check.status === 'fail' && check.remediation) {
          const fix = document.createElement('span');
          fix.className = 'remediation';
          fix.textContent = `Fix: ${check.remediation}`;
          cell.append(fix);
        }
        row.append(cell);
      }
      body.append(row);
    });
  }

  /** "expires on 2027-06-30 (in 205 days)", or "expired on …". */
  function expiryWords(iso) {
    const days = Math.ceil((Date.parse(iso) - Date.now()) / 86400000);
    const date = iso.slice(0, 10);
    if (days <= 0) return `expired on ${date}: store a new one`;
    return `expires on ${date} (in ${days} day${days === 1 ? '' : 's'})`;
  }

  /** Step 1's two ways, where the deployment runs TARGETconnect's app; its consent's state. */
  function showWay(partner) {
    if (!state.platformApp) return;
    $('way').hidden = false;
    $('platform-app-id').textContent = state.platformApp.appId;
    const platform = partner.credentialType === 'platformApp';
    if (state.way === undefined) state.way = platform ? 'platform' : 'own';
    $('way-platform').checked = state.way === 'platform';
    $('way-own').checked = state.way === 'own';
    $('platform-way').hidden = state.way !== 'platform';
    $('own-way').hidden = state.way === 'platform';
    const consent = partner.consent || { status: 'none' };
    say(
      'consent-state',
      !platform
        ? "Not in use yet: choosing this way switches your partner to TARGETconnect's app."
        : consent.status === 'granted'
          ? `Consent given on ${consent.grantedAt.slice(0, 16).replace('T', ' ')} UTC.`
          : consent.status === 'denied'
            ? `Consent was declined (${consent.error || 'no reason given'}). An admin can consent again.`
            : 'Waiting for an admin of your tenant to consent.',
    );
    // While the consent is awaited (perhaps by another person), the state is read again.
    clearTimeout(state.consentTimer);
    if (platform && consent.status !== 'granted') {
      state.consentTimer = setTimeout(() => refresh(), 15000);
    }
  }

  async function chooseWay(way) {
    state.way = way;
    if (way === 'platform' && state.partner.credentialType !== 'platformApp') {
      const res = await api('PATCH', partnerPath(), { credentialType: 'platformApp' });
      say('platform-saved', res.ok ? '' : res.data.detail || 'The partner could not be switched.');
      if (res.ok) return fill(res.data);
    }
    fill(state.partner);
  }

  async function refresh() {
    const res = await api('GET', partnerPath());
    if (res.ok) fill(res.data);
    await listCertificates();
  }

  async function listCertificates() {
    const res = await api('GET', partnerPath('/certificates'));
    const list = $('certificate-list');
    list.textContent = '';
    if (!res.ok) return;
    for (const certificate of res.data.certificates) {
      const item = document.createElement('li');
      const text = document.createElement('span');
      text.textContent = `Thumbprint ${certificate.thumbprint}, ${expiryWords(certificate.notAfter)} `;
      const download = document.createElement('button');
      download.type = 'button';
      download.textContent = 'Download the .cer';
      download.addEventListener('click', () => downloadCertificate(certificate));
      const use = document.createElement('button');
      use.type = 'button';
      use.textContent = 'Sign with certificates';
      use.addEventListener('click', async () => {
        const done = await api('PATCH', partnerPath(), { credentialType: 'certificate' });
        say('certificate-saved', done.ok ? 'Tokens will be signed with the certificate.' : done.data.detail);
        await refresh();
      });
      const copy = document.createElement('button');
      copy.type = 'button';
      copy.textContent = 'Copy the thumbprint';
      copy.addEventListener('click', () =>
        copyText(certificate.thumbprint, 'certificate-saved', 'Thumbprint copied.'),
      );
      item.append(text, download, ' ', copy, ' ', use);
      list.append(item);
    }
  }

  async function downloadCertificate(certificate) {
    const res = await fetch(partnerPath(`/certificates/${certificate.id}/file`), {
      headers: { Authorization: `Bearer ${token}` },
    });
    const url = URL.createObjectURL(await res.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = `${state.partnerId}-${certificate.thumbprint}.cer`;
    document.body.append(link);
    link.click();
    link.remove();
    URL.revokeObjectURL(url);
  }

  const lines = (id) =>
    $(id)
      .value.split('\n')
      .map((v) => v.trim())
      .filter(Boolean);

  function onSubmit(id, handler) {
    $(id).addEventListener('submit', (event) => {
      event.preventDefault();
      handler(event.currentTarget);
    });
  }

  async function patchFrom(form, body, savedId, message) {
    clearProblem(form);
    say(savedId, '');
    const res = await api('PATCH', partnerPath(), body);
    if (!res.ok) return showProblem(form, res.data, savedId);
    fill(res.data);
    say(savedId, message);
  }

  function wire() {
    $('handover-button').addEventListener('click', async () => {
      const res = await api('POST', partnerPath('/setup-links'), {});
      if (!res.ok) return say('handover-saved', res.data.detail || 'No link could be made.');
      $('handover-link').textContent = res.data.url;
      $('handover-link-row').hidden = false;
      say(
        'handover-saved',
        `Send this link to the next person. It works until ${res.data.expiresAt.slice(0, 16).replace('T', ' ')} UTC.`,
      );
    });
    $('copy-handover').addEventListener('click', () =>
      copyText($('handover-link').textContent, 'handover-saved', 'The link is copied.'),
    );
    $('copy-application-id').addEventListener('click', () =>
      copyText($('applicationId').value.trim(), 'app-saved', 'Application (client) ID copied.'),
    );
    $('copy-platform-app-id').addEventListener('click', () =>
      copyText($('platform-app-id').textContent, 'platform-saved', "TARGETconnect's application ID copied."),
    );
    $('copy-consent-link').addEventListener('click', async () => {
      // For an admin who is someone else: the link, to send them (single use, an hour).
      const res = await api('POST', partnerPath('/consent-link'));
      if (!res.ok) return say('platform-saved', res.data.detail || 'No consent link could be made.');
      await copyText(res.data.url, 'platform-saved', 'Consent link copied: it works once, for an hour.');
    });
    $('print-summary').addEventListener('click', () => print());
    $('way-platform').addEventListener('change', () => chooseWay('platform'));
    $('way-own').addEventListener('change', () => chooseWay('own'));
    $('consent-button').addEventListener('click', async () => {
      const res = await api('POST', partnerPath('/consent-link'));
      if (res.ok) location.assign(res.data.url);
      else say('platform-saved', res.data.detail || 'No consent link could be made.');
    });
    onSubmit('app-form', (form) => {
      // On TARGETconnect's app the application is the platform's: only the tenant and cloud are saved
      // until the secret below moves the partner to its own registration.
      const onPlatform = state.partner.credentialType === 'platformApp';
      const body = { tenantId: $('tenantId').value.trim(), cloud: $('cloud').value };
      if (!onPlatform) body.applicationId = $('applicationId').value.trim();
      return patchFrom(form, body, 'app-saved', 'Step 1 saved.');
    });
    onSubmit('secret-form', (form) => {
      const body = { clientSecret: $('clientSecret').value, credentialType: 'clientSecret' };
      // Leaving TARGETconnect's app: the own registration's id goes with its secret.
      if (state.partner.credentialType === 'platformApp') {
        body.applicationId = $('applicationId').value.trim();
        body.tenantId = $('tenantId').value.trim();
      }
      if ($('clientSecretExpiresAt').value) body.clientSecretExpiresAt = $('clientSecretExpiresAt').value;
      return patchFrom(form, body, 'secret-saved', 'The secret is stored; it is never shown again.').then(
        () => {
          if (!form.querySelector('.error:not(:empty)')) $('clientSecret').value = '';
        },
      );
    });
    onSubmit('match-form', (form) =>
      patchFrom(
        form,
        {
          operatorLocalMatchField: $('operatorLocalMatchField').value.trim(),
          operatorRemoteMatchField: $('operatorRemoteMatchField').value,
          userLocalMatchField: $('userLocalMatchField').value.trim(),
          userRemoteMatchField: $('userRemoteMatchField').value,
        },
        'match-saved',
        'Step 4 saved.',
      ),
    );
    $('make-certificate').addEventListener('click', async () => {
      const res = await api('POST', partnerPath('/certificates'), {});
      say(
        'certificate-saved',
        res.ok ? `Certificate ${res.data.thumbprint} made: download it and upload it.` : res.data.detail,
      );
      await listCertificates();
    });
    scriptForm({
      form: 'script-form',
      path: '/access-policy-script',
      operators: 'script-operators',
      group: 'script-group',
      error: 'script-error',
      output: 'script',
      copy: 'copy-script',
      copied: 'copy-saved',
    });
    scriptForm({
      form: 'exchange-form',
      path: '/exchange-scope-script',
      operators: 'exchange-operators',
      group: 'exchange-group',
      error: 'exchange-error',
      output: 'exchange-script',
      copy: 'copy-exchange-script',
      copied: 'exchange-copied',
    });
    onSubmit('check-form', () => checkNow());
    $('check-now').addEventListener('click', () => checkNow());
  }

  /**
   * The checklist at the top, in the guide's order: done, needs action, waiting (a consent given
   * but not in effect yet, or an access policy granted from this page less than 30 minutes ago),
   * or not checked; and when it was checked, for whom. While something waits, it is checked
   * again every minute.
   */
  function glance(result, seen) {
    const waiting = (check) =>
      (check.id === 'credentials' && check.status === 'warn' && /not yet in effect/.test(check.detail)) ||
      (check.id.startsWith('access-policy') &&
        check.status === 'fail' &&
        scriptAt !== undefined &&
        Date.now() - scriptAt < 30 * 60000);
    // The PowerShell written on this page or on anyone's (the service keeps when).
    const kept = result.accessPolicyScriptAt ? Date.parse(result.accessPolicyScriptAt) : undefined;
    const scriptAt =
      state.scriptAt !== undefined && (kept === undefined || state.scriptAt > kept) ? state.scriptAt : kept;
    let anyWaiting = false;
    const labels = {};
    for (const section of ['step1', 'step2', 'exchange', 'step4']) {
      const statuses = seen[section] || [];
      const checks = result.checks.filter((c) => STEP_OF_CHECK[String(c.step).slice(0, 6)] === section);
      const waits = checks.some(waiting);
      const failing = checks.filter((c) => c.status === 'fail' && !waiting(c));
      const label =
        failing.length > 0
          ? 'needs action'
          : waits
            ? 'waiting'
            : statuses.some((st) => st === 'pass' || st === 'warn')
              ? 'done'
              : 'not checked';
      anyWaiting = anyWaiting || waits;
      labels[section] = label;
      const badge = $(`glance-${section}`);
      badge.textContent = label;
      badge.className = `badge badge-${label.replace(' ', '-')}`;
    }
    const who = (result.operators || []).map((o) => Object.values(o)[0]).join(', ');
    say(
      'checked-at',
      `Last checked ${result.checkedAt.slice(0, 16).replace('T', ' ')} UTC${who ? ` for ${who}` : ', no adviser named yet'}.`,
    );
    clearTimeout(state.recheckTimer);
    if (anyWaiting) state.recheckTimer = setTimeout(() => checkNow(), 60000);
    return labels;
  }

  /** Runs the checks for the advisers in the box (or, when it is empty, the last ones). */
  async function checkNow() {
    const field = (state.partner && state.partner.operatorLocalMatchField) || 'email';
    const typed = lines('check-operators');
    // Only the latest check shows: one started on opening must not overwrite one pressed since.
    const seq = (state.checkSeq = (state.checkSeq || 0) + 1);
    say('check-summary', 'Checking…');
    const res = await api(
      'POST',
      partnerPath('/verify'),
      typed.length > 0 ? { operators: typed.map((value) => ({ [field]: value })) } : {},
    );
    if (seq !== state.checkSeq) return;
    if (!res.ok) return say('check-summary', res.data.detail);
    showChecks(res.data);
  }

  /** The last check on opening (the advisers it named fill the box), then a fresh one. */
  async function lastThenFresh() {
    const before = state.checkSeq || 0;
    const last = await api('GET', partnerPath('/verify'));
    // A check pressed meanwhile is newer than the last one kept.
    if (last.ok && last.data && last.data.checks && (state.checkSeq || 0) === before) {
      showChecks(last.data);
      // The last advisers fill the box, unless someone has typed in it already.
      if ($('check-operators').value.trim() === '') {
        $('check-operators').value = (last.data.operators || []).map((o) => Object.values(o)[0]).join('\n');
      }
    }
    if ((state.checkSeq || 0) === before) await checkNow();
  }

  /** A form that asks for a PowerShell script (advisers or a group) and shows it with a copy button. */
  function scriptForm(ids) {
    onSubmit(ids.form, async () => {
      say(ids.error, '');
      const field = (state.partner && state.partner.operatorLocalMatchField) || 'email';
      const body = { operators: lines(ids.operators).map((value) => ({ [field]: value })) };
      const group = $(ids.group).value.trim();
      if (group) body.groupId = group;
      const res = await api('POST', partnerPath(ids.path), body);
      if (!res.ok) {
        say(
          ids.error,
          (res.data.errors && res.data.errors[0] && res.data.errors[0].message) || res.data.detail,
        );
        return;
      }
      $(ids.output).textContent = res.data;
      $(ids.output).hidden = false;
      $(ids.copy).hidden = false;
      // A grant made from this script takes up to 30 minutes: until then a failing policy waits.
      if (ids.path === '/access-policy-script') state.scriptAt = Date.now();
    });
    $(ids.copy).addEventListener('click', async () => {
      await navigator.clipboard.writeText($(ids.output).textContent);
      say(ids.copied, 'Copied.');
    });
  }

  function showChecks(result) {
    const list = $('checks');
    list.textContent = '';
    const seen = {};
    for (const check of result.checks) {
      const item = document.createElement('li');
      item.className = `status-${check.status}`;
      item.textContent = `${check.status.toUpperCase()}: ${check.step}: ${check.detail}`;
      if (check.remediation) {
        const fix = document.createElement('span');
        fix.className = 'remediation';
        fix.textContent = `What to do: ${check.remediation}`;
        item.append(fix);
      }
      list.append(item);
      const section = STEP_OF_CHECK[String(check.step).slice(0, 6)];
      if (section) (seen[section] = seen[section] || []).push(check.status);
    }
    // The section headings say what the checklist at the top says.
    const labels = glance(result, seen);
    adviserTable(result);
    for (const section of ['step1', 'step2', 'exchange', 'step4']) {
      // Checks that could not run (skipped) prove nothing: "not checked yet", not done.
      const label =
        labels[section] !== 'not checked'
          ? `(${labels[section]})`
          : (seen[section] || []).length > 0
            ? '(not checked yet)'
            : '';
      say(`${section}-state`, label);
    }
    say('check-summary', result.ok ? 'Every check passed.' : 'Some checks failed: see what to do below.');
  }

  async function start() {
    if (!token) {
      say('who', 'Open this page with the setup link TARGETconnect sent you (it ends in #tms_…).');
      return;
    }
    const me = await api('GET', '/setup-link');
    if (!me.ok) {
      say(
        'who',
        `${me.data.detail || 'This setup link does not work.'} It may have expired or been revoked.`,
      );
      return;
    }
    state.partnerId = me.data.partnerId;
    state.platformApp = me.data.platformApp;
    say(
      'who',
      `Setup of ${me.data.partnerId}. This link works until ${me.data.expiresAt.slice(0, 16).replace('T', ' ')} UTC.`,
    );
    $('main').hidden = false;
    wire();
    await refresh();
    // Nobody needs to press a button to see where the setup stands.
    await lastThenFresh();
  }

  start();
})();
