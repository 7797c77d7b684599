/**
 * The setup page in each state an IT admin meets, in Chromium against the simulator, each with
 * axe-core (no serious or critical violation) and a screenshot in test-results/screenshots/:
 * all done; a consent given but not in effect yet (the platform app); an expired link; a revoked
 * one. (Some failing and a grant waiting: setup-handover.test.ts.)
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import axios from 'axios';
import { seriousViolations } from '../support/axe';
import { chromium, type Browser, type Page } from 'playwright-core';
import { federatedIssuer } from '../../tools/fixtures/federation';
import { addPlatformApp, PLATFORM_APP_ID } from '../support/platform-app';
import { TestClock } from '../support/clock';
import { makeWorld, ROLES, universityPartner, type ServiceWorld } from '../support/service-world';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const maybe = process.env['TEAMS_MEETINGS_SKIP_BROWSER'] === '1' ? describe.skip : describe;
const SCREENSHOTS = path.resolve(
  __dirname,
  '..',
  '..',
  process.env['TEAMS_MEETINGS_SCREENSHOT_DIR'] ?? 'test-results/screenshots',
);

maybe('the setup page, state by state', () => {
  let browser: Browser;
  const open: Array<{ w: ServiceWorld; server: http.Server }> = [];

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const { w, server } of open.splice(0)) {
      await new Promise((resolve) => server.close(resolve));
      await w.close();
    }
  });

  async function serve(w: ServiceWorld): Promise<string> {
    const server = http.createServer(w.h.built.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    open.push({ w, server });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function linkFor(w: ServiceWorld, origin: string, partnerId = 'uni-x', hours = 168) {
    const res = await w.h.request
      .post(`/partners/${partnerId}/setup-links`)
      .set('Authorization', w.h.admin)
      .send({ expiresInHours: hours });
    return { id: res.body.id as string, url: `${origin}/setup#${(res.body.url as string).split('#')[1]}` };
  }

  /** axe is injected, which the page's CSP forbids: these contexts bypass it. */
  async function page(url: string, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      bypassCSP: true,
      colorScheme,
    });
    const p = await context.newPage();
    await p.goto(url);
    return p;
  }

  async function axeAndShot(p: Page, name: string): Promise<void> {
    const violations = await seriousViolations(p);
    expect(violations).toEqual([]);
    await p.screenshot({ path: path.join(SCREENSHOTS, name), fullPage: true });
    await p.context().close();
  }

  test('all done: every step done, the advisers all yes', async () => {
    const w = await makeWorld({ roles: [...ROLES, 'OnlineMeetingArtifact.Read.All'] });
    const origin = await serve(w);
    await w.h.request
      .post('/partners/uni-x/verify')
      .set('Authorization', w.h.admin)
      .send({ operators: [{ email: w.adviser.mail }] });
    const p = await page((await linkFor(w, origin)).url);
    // The last check shows at once, then the fresh one the page makes on opening.
    await p.getByText(/^Last checked .* UTC for /).waitFor();
    await p.getByText('Every check passed.').waitFor();
    for (const step of ['step1', 'step2', 'step4']) {
      expect(await p.locator(`#glance-${step}`).textContent()).toBe('done');
    }
    await axeAndShot(p, 'setup-state-all-done.png');
  });

  test('the platform app: a consent given but not in effect yet waits', async () => {
    const clock = new TestClock();
    const issuer = federatedIssuer();
    const tokenFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'federated-')), 'token');
    fs.writeFileSync(tokenFile, issuer.mint());
    const w = await makeWorld({ clock, env: { PLATFORM_APP_ID, AZURE_FEDERATED_TOKEN_FILE: tokenFile } });
    const origin = await serve(w);
    addPlatformApp(w.sim, issuer, 'http://localhost/setup/consent');
    w.sim.setConsentLag(3_600_000);
    const { applicationId: _a, clientSecret: _s, clientSecretExpiresAt: _e, ...rest } = universityPartner();
    await w.h.request
      .put('/partners/uni-p')
      .set('Authorization', w.h.admin)
      .send({ ...rest, credentialType: 'platformApp' });
    const consent = await w.h.request.post('/partners/uni-p/consent-link').set('Authorization', w.h.admin);
    const entra = await axios.get(consent.body.url as string, {
      httpsAgent: new https.Agent({ ca: w.sim.caCertPem }),
      maxRedirects: 0,
      validateStatus: () => true,
    });
    const back = new URL(entra.headers['location'] as string);
    expect((await w.h.request.get(`${back.pathname}${back.search}`)).status).toBe(200);

    const p = await page((await linkFor(w, origin, 'uni-p')).url);
    await p.getByText(/^Last checked /).waitFor();
    await p.locator('#glance-step1', { hasText: 'waiting' }).waitFor();
    expect(await p.locator('#consent-state').textContent()).toMatch(/^Consent given on .* UTC\.$/);
    // The heading says what the checklist says.
    expect(await p.locator('#step1-state').textContent()).toBe('(waiting)');
    await axeAndShot(p, 'setup-state-consent-waiting.png');
  });

  test('in a dark colour scheme too, some checks failing', async () => {
    const w = await makeWorld();
    const origin = await serve(w);
    await w.h.request
      .post('/partners/uni-x/verify')
      .set('Authorization', w.h.admin)
      .send({ operators: [{ email: w.adviserNoPolicy.mail }] });
    const p = await page((await linkFor(w, origin)).url, 'dark');
    await p.getByText('Some checks failed: see what to do below.').waitFor();
    expect(await p.evaluate('getComputedStyle(document.documentElement).backgroundColor')).toBe(
      'rgb(18, 18, 18)',
    );
    await axeAndShot(p, 'setup-state-dark.png');
  });

  test('an expired link says so, and what to do', async () => {
    const clock = new TestClock();
    const w = await makeWorld({ clock });
    const origin = await serve(w);
    const link = await linkFor(w, origin, 'uni-x', 1);
    clock.advance(2 * 3_600_000);
    const p = await page(link.url);
    await p
      .getByText(/expired at .*; ask TARGETconnect for a new one\. It may have expired or been revoked\./)
      .waitFor();
    expect(await p.locator('#main').isHidden()).toBe(true);
    await axeAndShot(p, 'setup-state-expired-link.png');
  });

  test('a revoked link says so, and what to do', async () => {
    const w = await makeWorld();
    const origin = await serve(w);
    const link = await linkFor(w, origin);
    await w.h.request.delete(`/partners/uni-x/setup-links/${link.id}`).set('Authorization', w.h.admin);
    const p = await page(link.url);
    await p.getByText(/not known or was revoked/).waitFor();
    await axeAndShot(p, 'setup-state-revoked-link.png');
  });
});
