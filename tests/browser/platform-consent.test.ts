/**
 * Step 1's one-click way in a real browser: a university's IT admin opens the setup link, chooses
 * TARGETconnect's app, presses the consent button, accepts on (the simulator's) Entra consent
 * page, lands on the service's page saying so, and the setup page then shows the consent given.
 * The simulator's HTTPS is trusted for that one context only (it stands for login.microsoftonline.com).
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { federatedIssuer } from '../../tools/fixtures/federation';
import { addPlatformApp, PLATFORM_APP_ID } from '../support/platform-app';
import { makeWorld, TENANT_ID, type ServiceWorld } from '../support/service-world';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SKIP = process.env['TEAMS_MEETINGS_SKIP_BROWSER'] === '1';
const SCREENSHOTS = path.resolve(
  __dirname,
  '..',
  '..',
  process.env['TEAMS_MEETINGS_SCREENSHOT_DIR'] ?? 'test-results/screenshots',
);
const maybe = SKIP ? describe.skip : describe;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

maybe("Step 1 with TARGETconnect's app", () => {
  let w: ServiceWorld;
  let server: http.Server;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    const issuer = federatedIssuer();
    const tokenFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'federated-')), 'token');
    fs.writeFileSync(tokenFile, issuer.mint());
    w = await makeWorld({
      publicBaseUrl: origin,
      env: { PLATFORM_APP_ID, AZURE_FEDERATED_TOKEN_FILE: tokenFile },
    });
    addPlatformApp(w.sim, issuer, `${origin}/setup/consent`);
    server = http.createServer(w.h.built.app);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await w?.close();
  });

  test('choose the app, consent as the admin, come back, see it given', async () => {
    const res = await w.h.request.post('/partners/uni-x/setup-links').set('Authorization', w.h.admin);
    const link = `${origin}/setup#${(res.body.url as string).split('#')[1]}`;
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      ignoreHTTPSErrors: true,
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(String(error)));
    await page.goto(link);
    await page.getByText('Setup of uni-x').waitFor();

    await page.getByRole('group', { name: 'How your university does Step 1' }).waitFor();
    expect(await page.getByLabel('Register your own app, as the setup guide describes').isChecked()).toBe(
      true,
    );
    await page.getByLabel(/Use TARGETconnect's app \(one click\)/).check();
    await page.getByText('Waiting for an admin of your tenant to consent.').waitFor();
    expect(await page.locator('#platform-app-id').textContent()).toBe(PLATFORM_APP_ID);
    // The own registration's forms are out of the way.
    expect(await page.getByRole('button', { name: 'Save Step 1' }).isVisible()).toBe(false);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'setup-platform-waiting.png'), fullPage: true });

    await page.getByRole('button', { name: "Consent as your tenant's admin" }).click();
    await page.waitForURL(`${origin}/setup/consent?**`);
    await page.getByRole('heading', { name: /Consent recorded/ }).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'setup-platform-consented.png'), fullPage: true });
    expect(w.sim.consents()).toEqual([
      expect.objectContaining({ tenantId: TENANT_ID, appId: PLATFORM_APP_ID }),
    ]);

    await page.goto(link);
    await page.getByText(/^Consent given on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\.$/).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });
});
