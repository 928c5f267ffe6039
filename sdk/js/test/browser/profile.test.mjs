/**
 * End-to-end: the example app (example/dist, built by `npm run example:build`) in headless
 * Chromium, against a running HelloJohn API.
 *
 * The API:
 * - HJ_CREDENTIALS=/path/credentials.json: use an API that is already running;
 * - otherwise the project's local runner is started:
 *   `<repo>/.venv/bin/python -m local_runner --port <free port> --state-dir <temp dir>` (cwd = repo),
 *   waited for (<dir>/credentials.json), and stopped at the end;
 * - HJ_API=mock: the same, with this package's test/mock-api.mjs instead (SDK development only).
 *
 * Other knobs: CHROMIUM_PATH (default /usr/bin/chromium), HJ_SCREENSHOT (default
 * test/browser/out/profile.png, ignored by git, so a test run leaves the tree clean; the README's
 * picture is refreshed with HJ_SCREENSHOT=../../docs/img/profile.png), HJ_RUNNER_TIMEOUT_MS
 * (default 120000).
 *
 * Run with `npm run test:browser`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const SDK_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const REPO = resolve(SDK_DIR, '../..');
const DIST = join(SDK_DIR, 'example', 'dist');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = resolve(
  process.env.HJ_SCREENSHOT ?? join(SDK_DIR, 'test', 'browser', 'out', 'profile.png'),
);
const RUNNER_TIMEOUT_MS = Number(process.env.HJ_RUNNER_TIMEOUT_MS ?? 120_000);
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1 (bound then released). */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

function readCredentials(file) {
  const creds = JSON.parse(readFileSync(file, 'utf8'));
  for (const key of ['api_url', 'tenant_id', 'secret_key', 'publishable_key']) {
    assert.equal(typeof creds[key], 'string', `credentials.json: ${key} missing`);
  }
  assert.equal(typeof creds.demo_user?.id, 'string', 'credentials.json: demo_user.id missing');
  assert.equal(typeof creds.demo_user?.email, 'string', 'credentials.json: demo_user.email missing');
  assert.equal(typeof creds.demo_user?.password, 'string', 'credentials.json: demo_user.password missing');
  return creds;
}

/** Starts the API (local runner, or the mock) and waits for its credentials.json. */
async function startApi() {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'hj-e2e-state-'));
  let command;
  let argv;
  let cwd;
  if (process.env.HJ_API === 'mock') {
    command = process.execPath;
    argv = [join(SDK_DIR, 'test', 'mock-api.mjs'), '--port', String(port), '--state-dir', stateDir];
    cwd = SDK_DIR;
  } else {
    command = join(REPO, '.venv', 'bin', 'python');
    if (!existsSync(command)) {
      throw new Error(
        `${command} not found: set up the project's venv (the local runner lives there), ` +
          'or point HJ_CREDENTIALS at the credentials.json of a running API (HJ_API=mock for the SDK mock).',
      );
    }
    argv = ['-m', 'local_runner', '--port', String(port), '--state-dir', stateDir];
    cwd = REPO;
  }
  // Own process group, so that stopping it also stops what it started (moto, workers).
  const child = spawn(command, argv, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });

  const file = join(stateDir, 'credentials.json');
  const deadline = Date.now() + RUNNER_TIMEOUT_MS;
  for (;;) {
    if (exited !== null) {
      throw new Error(`the API exited early (${JSON.stringify(exited)}):\n${output}`);
    }
    if (existsSync(file)) {
      try {
        const creds = readCredentials(file);
        return { creds, child, stateDir, output: () => output };
      } catch (error) {
        if (Date.now() > deadline) throw error; // perhaps half-written: retry until the deadline
      }
    }
    if (Date.now() > deadline) {
      stopProcess(child);
      throw new Error(`no ${file} after ${RUNNER_TIMEOUT_MS} ms:\n${output}`);
    }
    await sleep(250);
  }
}

function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      clearTimeout(timer);
      done();
    }
  });
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves example/dist on 127.0.0.1, plus /config.json made from the credentials. */
async function serveApp(creds) {
  const config = JSON.stringify({
    apiUrl: creds.api_url,
    tenantId: creds.tenant_id,
    publishableKey: creds.publishable_key,
  });
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/config.json') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(config);
      return;
    }
    let file = resolve(DIST, `.${path}`);
    if (!file.startsWith(DIST + sep) || extname(file) === '') file = join(DIST, 'index.html'); // SPA fallback
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

/** A call to the admin API with the secret key (from Node: no CORS involved). */
async function admin(creds, method, path, body) {
  const response = await fetch(`${creds.api_url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${creds.secret_key}`,
      'X-Tenant-ID': creds.tenant_id,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

/** A sign-in from Node with its own User-Agent: the demo user signed in on another device. */
async function signInElsewhere(creds, email, password, userAgent) {
  const response = await fetch(`${creds.api_url}/v1/auth/sign-in`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${creds.publishable_key}`,
      'X-Tenant-ID': creds.tenant_id,
      'Content-Type': 'application/json',
      'User-Agent': userAgent,
    },
    body: JSON.stringify({ email, password }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, `sign-in elsewhere: ${JSON.stringify(body)}`);
  return body.session;
}

/** GET /v1/auth/me with an access token: {status, code}. */
async function me(creds, accessToken) {
  const response = await fetch(`${creds.api_url}/v1/auth/me`, {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  const body = await response.json();
  return { status: response.status, code: body?.error?.code ?? null };
}

let api = null; // {creds, child?, stateDir?}
let app = null;
let browser = null;
let page = null;
const pageProblems = [];

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), `${DIST} is missing: run \`npm run example:build\` first`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/ensure-chromium.sh`);
  api = process.env.HJ_CREDENTIALS
    ? { creds: readCredentials(process.env.HJ_CREDENTIALS) }
    : await startApi();
  app = await serveApp(api.creds);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 760, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (error) => pageProblems.push(`pageerror: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageProblems.push(`console: ${msg.text()}`);
  });
});

after(async () => {
  if (pageProblems.length > 0)
    console.log(
      `browser console (401s are expected: wrong passwords are tried on purpose):\n  ${pageProblems.join('\n  ')}`,
    );
  await browser?.close().catch(() => undefined);
  if (app) await new Promise((r) => app.server.close(r));
  if (api?.child) {
    await stopProcess(api.child);
    rmSync(api.stateDir, { recursive: true, force: true });
  }
});

test(
  'example app: sign in, revoke another session, edit the profile, change the password, sign in again',
  { timeout: 240_000 },
  async (t) => {
    const { creds } = api;
    const demo = creds.demo_user;
    const suffix = randomBytes(4).toString('hex');
    const newPassword = `Analytical-Engine-${suffix}-1843!`;

    const original = await admin(creds, 'GET', `/v1/users/${demo.id}`);
    assert.equal(original.status, 200, `admin GET user: ${JSON.stringify(original.body)}`);
    // A readable name for the screenshot, always different from the one the user starts with.
    const newName = original.body.name === 'Ada Lovelace' ? 'Ada King' : 'Ada Lovelace';
    let passwordChanged = false;

    t.after(async () => {
      // Leave a long-lived API as it was found (a runner started here is thrown away anyway).
      if (!process.env.HJ_CREDENTIALS) return;
      if (passwordChanged) {
        const r = await admin(creds, 'POST', `/v1/users/${demo.id}/password`, { password: demo.password });
        if (r.status >= 300)
          console.log(`warning: could not restore the demo password: ${JSON.stringify(r.body)}`);
      }
      const r = await admin(creds, 'PATCH', `/v1/users/${demo.id}`, {
        name: original.body.name,
        avatar_url: original.body.avatar_url,
      });
      if (r.status >= 300)
        console.log(`warning: could not restore the demo profile: ${JSON.stringify(r.body)}`);
    });

    /** Waits until the element with this data-testid has exactly this text. */
    const waitForText = (testId, text) =>
      page.waitForFunction(
        // eslint-disable-next-line no-undef -- runs in the page, where `document` is defined
        ([id, expected]) => document.querySelector(`[data-testid="${id}"]`)?.textContent === expected,
        [testId, text],
      );

    const signInAs = async (email, password) => {
      await page.getByTestId('sign-in-email').fill(email);
      await page.getByTestId('sign-in-password').fill(password);
      await page.getByTestId('sign-in-submit').click();
    };

    const otherDevice = `hellojohn-browser-test/1.0 (the old laptop ${suffix})`;
    let other = null;
    await t.test('the demo user is signed in on another device first', async () => {
      other = await signInElsewhere(creds, demo.email, demo.password, otherDevice);
      assert.equal((await me(creds, other.access_token)).status, 200);
    });

    await t.test('sign in as the demo user', async () => {
      await page.goto(app.url);
      await page.getByTestId('sign-in-form').waitFor();
      await signInAs(demo.email, demo.password);
      await page.getByTestId('current-user').waitFor();
      assert.equal(await page.getByTestId('current-user-email').textContent(), demo.email);
    });

    await t.test(
      '"Where you\'re signed in" lists both sessions; revoking the other ends it at once',
      async () => {
        const sessions = page.getByTestId('sessions');
        const otherRow = sessions.locator(`[data-testid="session"][data-session-id="${other.id}"]`);
        await otherRow.waitFor();
        assert.equal(await otherRow.getAttribute('data-current'), 'false');
        // a User-Agent no rule knows is shown as sent; a browser's as people read it, the raw string under it
        assert.equal(await otherRow.getByTestId('session-device').textContent(), otherDevice);
        const here = sessions.locator('[data-testid="session"][data-current="true"]');
        assert.match(
          (await here.getByTestId('session-device').textContent()) ?? '',
          /^(Headless)?Chrome \d+ on Linux$/,
        );
        assert.match((await here.getByTestId('session-user-agent').textContent()) ?? '', /^Mozilla\/5\.0 /);
        const current = sessions.locator('[data-testid="session"][data-current="true"]');
        assert.equal(await current.count(), 1, 'exactly one session is marked as this browser');
        assert.notEqual(await current.getAttribute('data-session-id'), other.id);

        await otherRow.getByTestId('session-revoke').click();
        await otherRow.waitFor({ state: 'detached' });
        assert.deepEqual(await me(creds, other.access_token), { status: 401, code: 'session_revoked' });
        assert.equal(await sessions.getByTestId('sessions-error').count(), 0);
        await page.getByTestId('current-user').waitFor(); // this browser's session keeps working
        assert.equal(await current.count(), 1);
      },
    );

    const profile = () => page.getByTestId('edit-profile');
    await t.test(
      'a session revoked elsewhere: the sign-in form says so, and the edit is back after signing in',
      async () => {
        const nameInput = profile().getByLabel('Name', { exact: true }); // a labelled input
        assert.equal(
          await nameInput.inputValue(),
          original.body.name ?? '',
          'the form starts with the current name',
        );
        await nameInput.fill(newName);
        await profile()
          .getByLabel(/^Avatar URL/)
          .fill('');
        const here = page.locator('[data-testid="session"][data-current="true"]');
        const sid = await here.getAttribute('data-session-id');
        const revoked = await admin(creds, 'POST', `/v1/users/${demo.id}/sessions/${sid}/revoke`);
        assert.ok(revoked.status < 300, JSON.stringify(revoked.body));
        const errorsBefore = pageProblems.filter((p) => p.startsWith('pageerror')).length;
        await profile().getByRole('button', { name: 'Save' }).click();
        const notice = page.getByTestId('signed-out-notice');
        await notice.waitFor();
        assert.match((await notice.textContent()) ?? '', /ended from another tab or device/);
        await signInAs(demo.email, demo.password);
        await page.getByTestId('profile-draft-restored').waitFor();
        assert.equal(
          await profile().getByLabel('Name', { exact: true }).inputValue(),
          newName,
          'the edit is not lost',
        );
        assert.equal(await page.getByTestId('signed-out-notice').count(), 0);
        const errorsAfter = pageProblems.filter((p) => p.startsWith('pageerror')).length;
        assert.equal(errorsAfter, errorsBefore, `no uncaught error: ${pageProblems.join(' | ')}`);
      },
    );

    await t.test('an invalid avatar_url is said once, under its field', async () => {
      await profile()
        .getByLabel(/^Avatar URL/)
        .fill('not a url');
      await profile().getByRole('button', { name: 'Save' }).click();
      const fieldError = profile().getByTestId('error-avatar_url');
      await fieldError.waitFor();
      const message = ((await fieldError.textContent()) ?? '').trim();
      assert.notEqual(message, '');
      assert.equal(await page.getByTestId('edit-profile-error').count(), 0, 'no banner repeating it');
      assert.equal(await page.getByText(message, { exact: true }).count(), 1, 'the message once on the page');
    });

    await t.test('change the name and clear the avatar with the labelled profile form', async () => {
      const form = profile().locator('form');
      const nameInput = form.getByLabel('Name', { exact: true });
      assert.equal(await nameInput.inputValue(), newName, 'the restored edit');
      await form.getByLabel(/^Avatar URL/).fill('');
      await form.getByRole('button', { name: 'Save' }).click();
      await waitForText('current-user-name', newName);
      await page.getByTestId('current-user-initials').waitFor(); // no avatar any more
      assert.equal(await page.getByTestId('profile-draft-restored').count(), 0, 'the restored edit is saved');
      assert.equal(await page.getByTestId('edit-profile-error').count(), 0);
    });

    await t.test('the admin API sees the change', async () => {
      const { status, body } = await admin(creds, 'GET', `/v1/users/${demo.id}`);
      assert.equal(status, 200);
      assert.equal(body.name, newName);
      assert.ok(
        body.avatar_url === null || body.avatar_url === '',
        `avatar_url cleared, got ${JSON.stringify(body.avatar_url)}`,
      );
    });

    await t.test('a wrong current password is refused and the error is shown by the field', async () => {
      await page.getByTestId('current-password').fill(`not-the-password-${suffix}`);
      await page.getByTestId('new-password').fill(newPassword);
      await page.getByTestId('change-password-submit').click();
      const fieldError = page.getByTestId('error-current_password');
      await fieldError.waitFor();
      assert.equal((await fieldError.textContent())?.trim(), 'The current password is incorrect'); // no "email"
      assert.equal(await page.getByTestId('change-password-error').count(), 0, 'said once');
      assert.equal(await page.getByTestId('change-password-success').count(), 0);
      await page.getByTestId('current-user').waitFor(); // still signed in
    });

    await t.test('a weak new password is said once, under its field', async () => {
      await page.getByTestId('current-password').fill(demo.password);
      await page.getByTestId('new-password').fill('short');
      await page.getByTestId('change-password-submit').click();
      const fieldError = page.getByTestId('error-new_password');
      await fieldError.waitFor();
      const message = ((await fieldError.textContent()) ?? '').trim();
      assert.notEqual(message, '');
      assert.equal(await page.getByTestId('change-password-error').count(), 0, 'no banner repeating it');
      assert.equal(await page.getByText(message, { exact: true }).count(), 1, 'the message once on the page');
    });

    await t.test('change the password', async () => {
      await page.getByTestId('current-password').fill(demo.password);
      await page.getByTestId('new-password').fill(newPassword);
      await page.getByTestId('change-password-submit').click();
      await page.getByTestId('change-password-success').waitFor();
      passwordChanged = true;
      assert.equal(await page.getByTestId('error-current_password').count(), 0);
    });

    await t.test('screenshot of the profile page', async () => {
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      assert.ok(existsSync(SCREENSHOT));
    });

    await t.test('a reload restores the session (refresh token rotation through the API)', async () => {
      await page.reload();
      await waitForText('current-user-name', newName);
    });

    await t.test('sign out; the old password no longer works, the new one does', async () => {
      await page.getByTestId('sign-out').click();
      await page.getByTestId('sign-in-form').waitFor();

      await signInAs(demo.email, demo.password);
      const error = page.getByTestId('sign-in-error');
      await error.waitFor();
      assert.equal(await error.getAttribute('data-error-code'), 'invalid_credentials');

      await signInAs(demo.email, newPassword);
      await waitForText('current-user-name', newName);
      assert.equal(await page.locator('form input[name="name"]').inputValue(), newName);
    });

    const temporary = `Temporary-Pass-${suffix}-7`;
    const chosen = `Difference-Engine-${suffix}-1822!`;
    await t.test(
      'an admin sets a temporary password: the app asks for a new one before anything else',
      async () => {
        const r = await admin(creds, 'POST', `/v1/users/${demo.id}/password`, {
          password: temporary,
          temporary: true,
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.password_change_required, true);
        await page.reload(); // the temporary password signed every session out
        await page.getByTestId('sign-in-form').waitFor();
        await signInAs(demo.email, temporary);
        await page.getByTestId('password-change-required').waitFor();
        assert.equal(await page.getByTestId('edit-profile').count(), 0);
        await page.getByTestId('current-password').fill(temporary);
        await page.getByTestId('new-password').fill(chosen);
        await page.getByTestId('change-password-submit').click();
        await page.getByTestId('edit-profile').waitFor(); // the whole page is back
        assert.equal(await page.getByTestId('password-change-required').count(), 0);
        const after = await admin(creds, 'GET', `/v1/users/${demo.id}`);
        assert.equal(after.body.password_change_required, false);
      },
    );
  },
);

/** The emails the runner's outbox holds for `to` whose subject contains `about`, once there is one. */
async function waitForEmail(creds, to, about) {
  for (let i = 0; i < 100; i += 1) {
    const response = await fetch(`${creds.api_url}/_local/emails`);
    const found = (await response.json()).filter((e) => e.to === to && e.subject.includes(about));
    if (found.length > 0) return found.at(-1);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no email "${about}" to ${to}`);
}

/** The first link of an email's text. */
function linkOf(email) {
  const match = /https?:\/\/[^\s<>"']+/.exec(email.text);
  assert.ok(match, email.text);
  return match[0];
}

test(
  "the runner's link pages say in words what happened, with nothing to type",
  { timeout: 120_000 },
  async () => {
    const { creds } = api;
    const suffix = randomBytes(4).toString('hex');
    const old = `pages-old-${suffix}@example.com`;
    const renamed = `pages-new-${suffix}@example.com`;
    const created = await admin(creds, 'POST', '/v1/users', {
      email: old,
      password: `Pages-Test-${suffix}-1!`,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const changed = await admin(creds, 'PATCH', `/v1/users/${created.body.id}`, { email: renamed });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const cancelLink = linkOf(await waitForEmail(creds, old, 'requested'));
    const verifyLink = linkOf(await waitForEmail(creds, renamed, ''));
    assert.match(cancelLink, /\/cancel-email-change\?token=/);
    assert.match(verifyLink, /\/verify-email\?token=/);

    const tab = await browser.newPage();
    try {
      const statusOf = async (url, not) => {
        await tab.goto(url);
        await tab.waitForFunction(
          // eslint-disable-next-line no-undef -- runs in the page
          (working) => !document.getElementById('status')?.textContent?.startsWith(working),
          'Working',
        );
        assert.equal(await tab.locator('input').count(), 0, 'nothing to type');
        const text = (await tab.locator('#status').textContent()) ?? '';
        assert.ok(!text.includes(not), text);
        return text;
      };
      assert.match(
        await statusOf(verifyLink, 'invalid_request'),
        new RegExp(`^Done: ${renamed} is now the address`),
      );
      // the change is confirmed: its cancel link is dead, and the page says where to go instead
      const cancelled = await statusOf(cancelLink, 'invalid_request');
      assert.match(cancelled, /already confirmed/);
      assert.match(cancelled, /use the restore link in the \u201cemail changed\u201d notice/);
      const restoreLink = linkOf(await waitForEmail(creds, old, 'changed'));
      assert.match(
        await statusOf(restoreLink, 'invalid_request'),
        /^Done: this address is the account's again/,
      );
      assert.match(
        await statusOf(restoreLink, 'invalid_request'),
        /already used \(the address was restored then/,
      );
    } finally {
      await tab.close();
    }
  },
);

/** `python -m scripts.tenant` (what `make tenant` runs) against the runner whose state is in `stateDir`. */
function makeTenant(stateDir, name, ...args) {
  const out = spawnSync(
    join(REPO, '.venv', 'bin', 'python'),
    ['-m', 'scripts.tenant', '--name', name, '--state-dir', stateDir, ...args],
    { cwd: REPO, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout.trim().split('\n').at(-1));
}

test(
  'an email change on a stale session asks for the password (useReverification), then goes through',
  { timeout: 120_000, skip: process.env.HJ_API === 'mock' ? 'the mock API has no tenant script' : false },
  async () => {
    const stateDir = api.stateDir ?? dirname(process.env.HJ_CREDENTIALS);
    const made = makeTenant(stateDir, 'Reverify', '--reverification-max-age', '2');
    const creds = { ...api.creds, ...made };
    const suffix = randomBytes(4).toString('hex');
    const email = `reverify-${suffix}@example.com`;
    const password = `Reverify-Test-${suffix}-1!`;
    const created = await admin(creds, 'POST', '/v1/users', { email, password });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const shortApp = await serveApp(creds);
    const tab = await browser.newPage();
    try {
      await tab.goto(shortApp.url);
      await tab.getByTestId('sign-in-email').fill(email);
      await tab.getByTestId('sign-in-password').fill(password);
      await tab.getByTestId('sign-in-submit').click();
      await tab.getByTestId('change-email').waitFor();
      await sleep(3_000); // the tenant asks for a proof within 2 s

      // Cancelled: a typed error, nothing changed
      await tab.getByTestId('change-email-input').fill(`first-${suffix}@example.com`);
      await tab.getByTestId('change-email-submit').click();
      await tab.getByTestId('reverify-form').waitFor();
      assert.match((await tab.getByTestId('reverify-form').textContent()) ?? '', /more than 2 s ago/);
      await tab.getByTestId('reverify-cancel').click();
      await tab.getByTestId('change-email-cancelled').waitFor();
      assert.equal((await admin(creds, 'GET', `/v1/users/${created.body.id}`)).body.pending_email, null);

      // A wrong password is asked again; the right one proves it and the change is retried
      const next = `second-${suffix}@example.com`;
      await tab.getByTestId('change-email-input').fill(next);
      await tab.getByTestId('change-email-submit').click();
      await tab.getByTestId('reverify-password').fill('Not-The-Password-1');
      await tab.getByTestId('reverify-submit').click();
      await tab.getByTestId('reverify-error').waitFor();
      await tab.getByTestId('reverify-password').fill(password);
      await tab.getByTestId('reverify-submit').click();
      await tab.getByTestId('change-email-pending').waitFor();
      assert.equal(await tab.getByTestId('reverify-form').count(), 0);
      assert.match((await tab.getByTestId('change-email-pending').textContent()) ?? '', new RegExp(next));
      assert.equal((await admin(creds, 'GET', `/v1/users/${created.body.id}`)).body.pending_email, next);
    } finally {
      await tab.close();
      await new Promise((r) => shortApp.server.close(r));
    }
  },
);

test(
  'example app: "Delete my account" asks first, then signs out a deleted user',
  { timeout: 120_000 },
  async () => {
    const { creds } = api;
    const suffix = randomBytes(4).toString('hex');
    const email = `delete-me-${suffix}@example.com`;
    const password = `Delete-Me-${suffix}-1!`;
    const created = await admin(creds, 'POST', '/v1/users', { email, password });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const tab = await browser.newPage();
    const alerts = [];
    tab.on('dialog', (dialog) => {
      alerts.push(dialog.message());
      void dialog.accept();
    });
    try {
      await tab.goto(app.url);
      await tab.getByTestId('sign-in-form').waitFor();
      await tab.getByTestId('sign-in-email').fill(email);
      await tab.getByTestId('sign-in-password').fill(password);
      await tab.getByTestId('sign-in-submit').click();
      await tab.getByTestId('delete-account').waitFor();
      await tab.getByTestId('delete-start').click();
      assert.equal(await tab.getByTestId('delete-confirm').isDisabled(), true, 'not before DELETE is typed');
      await tab.getByTestId('delete-confirm-input').fill('DELETE');
      await tab.getByTestId('delete-confirm').click();
      await tab.getByTestId('sign-in-form').waitFor(); // every session ended: signed out
      assert.match(alerts.join('\n'), /restored by support until/);
      const after = await admin(creds, 'GET', `/v1/users/${created.body.id}`);
      assert.notEqual(after.body.purge_at, null);
    } finally {
      await tab.close();
    }
  },
);
