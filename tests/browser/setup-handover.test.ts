/**
 * The setup page's hand-over and its small courtesies, in a real browser: the icon (no request
 * for /favicon.ico), Step 1's optional permissions, the credential's expiry in days, a link for
 * the next person (copied, and working), and no console error at all.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { seriousViolations } from '../support/axe';
import { chromium, type Browser } from 'playwright-core';
import { APP_ID, makeWorld, TENANT_ID, type ServiceWorld } from '../support/service-world';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const maybe = process.env['TEAMS_MEETINGS_SKIP_BROWSER'] === '1' ? describe.skip : describe;
const SCREENSHOTS = path.resolve(
  __dirname,
  '..',
  '..',
  process.env['TEAMS_MEETINGS_SCREENSHOT_DIR'] ?? 'test-results/screenshots',
);
fs.mkdirSync(SCREENSHOTS, { recursive: true });

/**
 * A world of its own for a describe: the service on loopback for the browser, and Chromium;
 * registers the hooks that make and close them.
 */
function servedWorld(): { w: ServiceWorld; origin: string; browser: Browser } {
  const served = {} as { w: ServiceWorld; origin: string; browser: Browser; server: http.Server };
  beforeAll(async () => {
    served.w = await makeWorld();
    served.server = http.createServer(served.w.h.built.app);
    await new Promise<void>((resolve) => served.server.listen(0, '127.0.0.1', resolve));
    served.origin = `http://127.0.0.1:${(served.server.address() as AddressInfo).port}`;
    served.browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 30_000);
  afterAll(async () => {
    await served.browser?.close();
    await new Promise((resolve) => served.server?.close(resolve));
    await served.w?.close();
  });
  return served;
}

maybe('handing the setup over', () => {
  const served = servedWorld();

  test('a link for the next person, copied; it opens the same setup; no console error, no /favicon.ico', async () => {
    const { w, origin, browser } = served;
    const expiry = new Date(Date.now() + 40.5 * 86_400_000).toISOString();
    await w.h.request
      .patch('/partners/uni-x')
      .set('Authorization', w.h.admin)
      .send({ clientSecretExpiresAt: expiry });
    const res = await w.h.request.post('/partners/uni-x/setup-links').set('Authorization', w.h.admin);
    const link = `${origin}/setup#${(res.body.url as string).split('#')[1]}`;
    const context = await browser.newContext({ viewport: { width: 400, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const page = await context.newPage();
    const problems: string[] = [];
    const asked: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await page.goto(link);
    await page.getByText('Setup of uni-x').waitFor();

    // Exact: the checks (made on load) may name the permission too.
    await page.getByText('OnlineMeetingArtifact.Read.All', { exact: true }).waitFor();
    await page.getByText(`which expires on ${expiry.slice(0, 10)} (in 41 days)`).waitFor();

    // Values to paste elsewhere have their copy button.
    await page.getByRole('button', { name: 'Copy the application ID' }).click();
    await page.getByText('Application (client) ID copied.').waitFor();
    expect(
      await page.evaluate(() =>
        (navigator as unknown as { clipboard: { readText(): Promise<string> } }).clipboard.readText(),
      ),
    ).toBe(APP_ID);

    await page.getByRole('button', { name: 'Make a link for the next person' }).click();
    await page.getByText(/^Send this link to the next person\. It works until /).waitFor();
    await page.getByRole('button', { name: 'Copy the link' }).click();
    await page.getByText('The link is copied.').waitFor();
    const copied = await page.evaluate(() =>
      (navigator as unknown as { clipboard: { readText(): Promise<string> } }).clipboard.readText(),
    );
    expect(copied).toMatch(/\/setup#tms_/);
    expect(copied).not.toBe(res.body.url);

    // The next person's link opens the same partner's setup.
    const next = await context.newPage();
    await next.goto(`${origin}/setup#${copied.split('#')[1]}`);
    await next.getByText('Setup of uni-x').waitFor();

    expect(asked).toContain('/setup/favicon.svg');
    expect(asked).not.toContain('/favicon.ico');
    expect(problems).toEqual([]);
    await context.close();
  });
});

maybe('the setup at a glance', () => {
  const served = servedWorld();

  test('the next person sees each step’s state and the last advisers without pressing a button', async () => {
    const { w, origin, browser } = served;
    // Someone checked two advisers earlier (through the API, or another person's page).
    const named = [{ email: w.adviser.mail! }, { email: w.adviserNoPolicy.mail! }];
    await w.h.request
      .post('/partners/uni-x/verify')
      .set('Authorization', w.h.admin)
      .send({ operators: named });
    const res = await w.h.request.post('/partners/uni-x/setup-links').set('Authorization', w.h.admin);
    // axe is injected, which the page's own CSP forbids: this context alone bypasses it.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${origin}/setup#${(res.body.url as string).split('#')[1]}`);
    await page.getByText(/^Last checked .* UTC for /).waitFor();
    expect(await page.locator('#glance-step1').textContent()).toBe('done');
    expect(await page.locator('#glance-step2').textContent()).toBe('needs action');
    expect(await page.locator('#glance-step4').textContent()).toBe('done');
    expect(await page.locator('#checked-at').textContent()).toContain(
      `${w.adviser.mail}, ${w.adviserNoPolicy.mail}`,
    );
    expect((await page.getByLabel(/Advisers to check/).inputValue()).split('\n')).toEqual(
      named.map((n) => n.email),
    );
    // The advisers as a table: Ada passes, Nina's policy is missing, with its fix beside it.
    const table = page.getByRole('table', { name: 'The advisers checked' });
    await table.waitFor();
    const rows = await table.locator('tbody tr').allInnerTexts();
    expect(rows[0]).toMatch(new RegExp(`^${w.adviser.mail}\\s+yes\\s+yes$`));
    expect(rows[1]).toMatch(
      new RegExp(`^${w.adviserNoPolicy.mail}\\s+yes\\s+no\\s*Fix: .*Grant-CsApplicationAccessPolicy`, 's'),
    );
    await page.screenshot({ path: path.join(SCREENSHOTS, 'setup-glance-some-failing.png'), fullPage: true });
    // At 400 px the table wraps in its cells: the page does not scroll sideways.
    await page.setViewportSize({ width: 400, height: 900 });
    expect(
      await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth'),
    ).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });
    const violations = await seriousViolations(page);
    expect(violations).toEqual([]);
    await context.close();
  });

  test('a grant written less than 30 minutes ago waits, and is checked again every minute', async () => {
    const { w, origin, browser } = served;
    const named = [{ email: w.adviserNoPolicy.mail! }];
    // The Teams admin got the PowerShell from their own page a moment ago; the grant is not in effect.
    await w.h.request
      .post('/partners/uni-x/access-policy-script')
      .set('Authorization', w.h.admin)
      .send({ operators: named });
    await w.h.request
      .post('/partners/uni-x/verify')
      .set('Authorization', w.h.admin)
      .send({ operators: named });
    const res = await w.h.request.post('/partners/uni-x/setup-links').set('Authorization', w.h.admin);
    // axe is injected, which the page's CSP forbids: this context bypasses it. The page's own
    // clock is the test's, so that its minute between checks passes at once.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    await page.clock.install({ time: new Date() });
    await page.goto(`${origin}/setup#${(res.body.url as string).split('#')[1]}`);
    await page.getByText(/^Last checked .* UTC for /).waitFor();
    await page.locator('#glance-step2', { hasText: 'waiting' }).waitFor();
    expect(await page.locator('#glance-step1').textContent()).toBe('done');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'setup-glance-waiting.png'), fullPage: true });
    const violations = await seriousViolations(page);
    expect(violations).toEqual([]);
    // The grant takes effect in Teams; a minute later the page checks again by itself.
    w.sim.grantPolicy(TENANT_ID, w.adviserNoPolicy.id, APP_ID);
    await page.clock.runFor(61_000);
    await page.locator('#glance-step2', { hasText: 'done' }).waitFor();
    await context.close();
  });
});
