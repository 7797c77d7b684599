/**
 * The setup page in a real browser (Debian's Chromium, driven by playwright-core) against the real
 * service on loopback and the Microsoft simulator: a university's IT admin opens the setup link,
 * fixes a field from the API's own message, stores the secret, sees the access-policy failure for
 * an adviser without a policy, copies the PowerShell, makes and downloads a certificate, and sees
 * every check pass; axe-core finds no serious or critical violation; a revoked link says so. The
 * test writes screenshots of what it saw to an ignored folder (test-results/screenshots/), and
 * leaves the README's own (docs/screenshots/) alone: `npm run screenshots` refreshes those.
 *
 * Chromium: CHROMIUM_PATH or /usr/bin/chromium (`.ci/run` installs it). Without it the file fails,
 * unless TEAMS_MEETINGS_SKIP_BROWSER=1 says to skip it (with a warning), as for PostgreSQL.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { APP_ID, CLIENT_SECRET, makeWorld, TENANT_ID, type ServiceWorld } from '../support/service-world';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SKIP = process.env['TEAMS_MEETINGS_SKIP_BROWSER'] === '1';
const ROOT = path.join(__dirname, '..', '..');
/** Where screenshots go: an ignored folder, unless `npm run screenshots` names the README's. */
const SCREENSHOTS = path.resolve(
  ROOT,
  process.env['TEAMS_MEETINGS_SCREENSHOT_DIR'] ?? 'test-results/screenshots',
);
const README_SCREENSHOTS = path.join(ROOT, 'docs', 'screenshots');
/** The README's pictures as they were before this file ran: a test run must not change them. */
const readmePictures = () =>
  Object.fromEntries(
    fs
      .readdirSync(README_SCREENSHOTS)
      .map((name) => [name, fs.readFileSync(path.join(README_SCREENSHOTS, name))]),
  );
if (SKIP) {
  process.stderr.write(
    '\n*** WARNING: TEAMS_MEETINGS_SKIP_BROWSER=1: the setup page is NOT tested in a browser.\n\n',
  );
}
const maybe = SKIP ? describe.skip : describe;

maybe('the setup page', () => {
  let w: ServiceWorld;
  let server: http.Server;
  let origin: string;
  let browser: Browser;

  let before: Record<string, Buffer>;

  beforeAll(async () => {
    before = readmePictures();
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `No Chromium at ${CHROMIUM}: install it (apt-get install chromium; .ci/run does) or set TEAMS_MEETINGS_SKIP_BROWSER=1`,
      );
    }
    // A partner as a university might leave it: a wrong secret stored.
    w = await makeWorld({ partner: { clientSecret: 'bad8Q~not.the-right-secret_0123456789abcdefg' } });
    server = http.createServer(w.h.built.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 30_000);

  afterAll(async () => {
    // Written where they belong; the README's pictures untouched unless they were asked for.
    if (SCREENSHOTS !== README_SCREENSHOTS) {
      expect(readmePictures()).toEqual(before);
      expect(fs.readdirSync(SCREENSHOTS)).toEqual(
        expect.arrayContaining(['setup-wrong-secret.png', 'setup-desktop.png', 'setup-400px.png']),
      );
    }
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await w?.close();
  });

  async function setupLink(): Promise<{ id: string; url: string }> {
    const res = await w.h.request.post('/partners/uni-x/setup-links').set('Authorization', w.h.admin);
    const token = (res.body.url as string).split('#')[1]!;
    return { id: res.body.id, url: `${origin}/setup#${token}` };
  }

  async function open(url: string, width = 1280, options: { bypassCSP?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width, height: 900 },
      acceptDownloads: true,
      ...options,
    });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => {
      // Chromium reports every 4xx answer as a console error; the page shows those itself.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        problems.push(message.text());
    });
    (page as Page & { problems: string[] }).problems = problems;
    await page.goto(url);
    return page;
  }

  const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;

  test('an IT admin does Steps 1-4 and sees every check pass', async () => {
    const link = await setupLink();
    const page = await open(link.url);
    await page.getByText('Setup of uni-x').waitFor();

    // Step 1: a bad field, told by the API's own message beside it; then fixed.
    await page.getByLabel('Application (client) ID').fill('not-a-guid');
    await page.getByRole('button', { name: 'Save Step 1' }).click();
    await page.locator('#applicationId-error').filter({ hasText: 'Application (client) ID' }).waitFor();
    expect(await page.getByLabel('Application (client) ID').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Application (client) ID').fill(APP_ID);
    await page.getByRole('button', { name: 'Save Step 1' }).click();
    await page.getByText('Step 1 saved.').waitFor();
    const consent = await page
      .getByRole('link', { name: 'grant admin consent for this app' })
      .getAttribute('href');
    expect(consent).toMatch(
      new RegExp(`^https://login\\.microsoftonline\\.com/[^/]+/adminconsent\\?client_id=${APP_ID}$`),
    );

    // The wrong secret shows in the checks; the right one is stored.
    await page.getByLabel('Advisers to check').fill('ada.adviser@uni.example.ac.uk');
    await page.getByRole('button', { name: 'Check my setup' }).click();
    await page.getByText('Some checks failed').waitFor();
    expect(await page.locator('#checks').innerText()).toMatch(/FAIL: Step 1/);
    expect(await page.locator('#step1-state').innerText()).toBe('(needs action)');
    expect(await page.locator('#glance-step1').innerText()).toBe('needs action');
    // Nothing of Steps 2-3 could be checked without a token: not shown as done.
    expect(await page.locator('#step2-state').innerText()).toBe('(not checked yet)');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'setup-wrong-secret.png'), fullPage: true });

    await page.getByLabel('Client secret Value').fill(CLIENT_SECRET);
    await page.getByLabel('Its Expires date').fill('2027-06-30');
    await page.getByRole('button', { name: 'Store the secret' }).click();
    await page.getByText('The secret is stored').waitFor();
    expect(await page.getByLabel('Client secret Value').inputValue()).toBe('');
    await page.getByText('which expires on 2027-06-30').waitFor();

    // Steps 2-3: an adviser without the policy fails with the Grant line; the script is copied.
    await page.getByLabel('Advisers to check').fill('nina.nopolicy@uni.example.ac.uk');
    await page.getByRole('button', { name: 'Check my setup' }).click();
    await page.getByText('Some checks failed').waitFor();
    expect(await page.locator('#checks').innerText()).toContain('Grant-CsApplicationAccessPolicy');

    await page.getByLabel("Advisers' emails").fill('nina.nopolicy@uni.example.ac.uk');
    await page.getByRole('button', { name: 'Write the PowerShell' }).click();
    const script = page.locator('#script');
    await script.filter({ hasText: 'Grant-CsApplicationAccessPolicy' }).waitFor();
    await page.getByRole('button', { name: 'Copy the PowerShell' }).click();
    await page.getByText('Copied.').waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(await script.innerText());

    // A certificate made here and downloaded for upload.
    await page.getByRole('button', { name: 'Make a certificate' }).click();
    await page.getByText(/Thumbprint [0-9A-F]{40}/).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download the .cer' }).click(),
    ]);
    const file = fs.readFileSync((await download.path())!, 'utf8');
    expect(file).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(download.suggestedFilename()).toMatch(/^uni-x-[0-9A-F]{40}\.cer$/);

    // Everything right: the checks pass.
    await page.getByLabel('Advisers to check').fill('ada.adviser@uni.example.ac.uk');
    await page.getByRole('button', { name: 'Check my setup' }).click();
    await page.getByText('Every check passed.').waitFor();
    expect(await page.locator('#step1-state').innerText()).toBe('(done)');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'setup-desktop.png'), fullPage: true });
    expect(problemsOf(page)).toEqual([]);
    // The page's CSP is the strict one, and the token went to no request URL.
    const res = await page.request.get(`${origin}/setup`);
    expect(res.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(w.h.logs.text()).not.toContain(link.url.split('#')[1]!);
  }, 60_000);

  test('readable at 400 px wide, and without serious or critical accessibility violations', async () => {
    const link = await setupLink();
    const narrow = await open(link.url, 400);
    await narrow.getByText('Setup of uni-x').waitFor();
    const overflow = Number(
      await narrow.evaluate('document.documentElement.scrollWidth - window.innerWidth'),
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await narrow.screenshot({ path: path.join(SCREENSHOTS, 'setup-400px.png'), fullPage: true });

    // axe is injected, which the page's own CSP forbids: this context alone bypasses it.
    const page = await open(link.url, 1280, { bypassCSP: true });
    await page.getByText('Setup of uni-x').waitFor();
    await page.addScriptTag({ path: require.resolve('axe-core') });
    const violations = (await page.evaluate(
      'axe.run().then((r) => r.violations.map((v) => `${v.impact} ${v.id}`))',
    )) as string[];
    expect(violations.filter((v) => /^(serious|critical)/.test(v))).toEqual([]);
  }, 60_000);

  test('the keyboard alone reaches every field and button, focus visible', async () => {
    const link = await setupLink();
    const page = await open(link.url);
    await page.getByText('Setup of uni-x').waitFor();
    const reached = new Set<string>();
    for (let i = 0; i < 40; i += 1) {
      await page.keyboard.press('Tab');
      const focused = (await page.evaluate(`(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return null;
        return { id: el.id || el.textContent.trim() || el.tagName, outline: getComputedStyle(el).outlineStyle };
      })()`)) as { id: string; outline: string } | null;
      if (focused) {
        reached.add(focused.id);
        expect(`${focused.id} ${focused.outline}`).not.toMatch(/ none$/);
      }
    }
    for (const id of [
      'applicationId',
      'clientSecret',
      'script-operators',
      'operatorLocalMatchField',
      'check-operators',
    ])
      expect(reached).toContain(id);
  }, 60_000);

  test("calendar mode: the Exchange step shows, writes the Exchange admin's PowerShell, and the checks name it", async () => {
    const standalone = await setupLink();
    const before = await open(standalone.url);
    await before.getByText('Setup of uni-x').waitFor();
    expect(await before.locator('#exchange').isHidden()).toBe(true);

    await w.h.request
      .patch('/partners/uni-x')
      .set('Authorization', w.h.admin)
      .send({ meetingMode: 'calendarEvent' });
    w.sim.scopeCalendars(TENANT_ID, APP_ID, [w.adviser.id]);
    const link = await setupLink();
    const page = await open(link.url);
    await page.getByText('Setup of uni-x').waitFor();
    await page.getByRole('heading', { name: /The Exchange step/ }).waitFor();
    await page.getByLabel("Advisers' mailboxes").fill(w.adviser.mail!);
    await page.getByRole('button', { name: 'Write the Exchange PowerShell' }).click();
    const script = page.locator('#exchange-script');
    await script.filter({ hasText: 'New-ManagementRoleAssignment' }).waitFor();
    expect(await script.innerText()).toContain(
      `Test-ServicePrincipalAuthorization -Identity $AppId -Resource '${w.adviser.mail}'`,
    );
    await page.getByRole('button', { name: 'Copy the Exchange PowerShell' }).waitFor();

    await page.getByLabel('Advisers to check').fill(w.adviser.mail!);
    await page.getByRole('button', { name: 'Check my setup' }).click();
    await page.locator('#checks').filter({ hasText: 'Exchange step' }).waitFor();
    expect(await page.locator('#exchange-state').innerText()).toBe('(done)');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'setup-exchange-step.png'), fullPage: true });
    expect(problemsOf(page)).toEqual([]);
    await w.h.request
      .patch('/partners/uni-x')
      .set('Authorization', w.h.admin)
      .send({ meetingMode: 'onlineMeeting' });
  }, 60_000);

  test('a revoked link shows a clear message, not a broken page', async () => {
    const link = await setupLink();
    expect(
      (await w.h.request.delete(`/partners/uni-x/setup-links/${link.id}`).set('Authorization', w.h.admin))
        .status,
    ).toBe(204);
    const page = await open(link.url);
    await page.getByText(/not known or was revoked/).waitFor();
    expect(await page.locator('#main').isHidden()).toBe(true);
    const bare = await open(`${origin}/setup`);
    await bare.getByText('Open this page with the setup link').waitFor();
  }, 30_000);
});
