/**
 * The setup page (API: "Setup links"): one HTML page with its own script and styles, served by the
 * service, for the university's IT team holding a setup link; and `GET /setup-link`, with which
 * the page learns whose setup its token opens. The page's Content-Security-Policy allows only its
 * own script, styles and calls to this service: no inline script, no third party, no framing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Router, type Response } from 'express';
import { AppError } from '../../domain/errors';
import type { Access } from '../middleware/access';
import { methodNotAllowed } from '../middleware/method-not-allowed';

/** The page's files, in the repository's assets/setup (next to dist/ in the image). */
const ASSETS = path.join(__dirname, '..', '..', '..', 'assets', 'setup');

export const SETUP_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const FILES = {
  '/setup': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/setup/setup.js': { file: 'setup.js', type: 'text/javascript; charset=utf-8' },
  '/setup/setup.css': { file: 'setup.css', type: 'text/css; charset=utf-8' },
  '/setup/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
} as const;

/** Read on first use and kept: three small files, nothing at start-up. */
const cache = new Map<string, Buffer>();
function asset(file: string): Buffer {
  let content = cache.get(file);
  if (!content) {
    content = fs.readFileSync(path.join(ASSETS, file));
    cache.set(file, content);
  }
  return content;
}

export function setupRoutes(access: Access, platformAppId: string | null = null): Router {
  const router = Router({ strict: true });

  for (const [route, { file, type }] of Object.entries(FILES)) {
    router
      .route(route)
      .all(access.none)
      .get((_req, res: Response) => {
        res.setHeader('Content-Security-Policy', SETUP_PAGE_CSP);
        // Short-lived, and never with the token: it is in the fragment, which browsers do not send.
        res.setHeader('Cache-Control', 'no-cache');
        res.type(type).send(asset(file));
      })
      .all(methodNotAllowed('GET'));
  }

  router
    .route('/setup-link')
    .all(access.setupLink)
    .get((req, res) => {
      if (req.principal?.kind !== 'setup') throw new AppError('FORBIDDEN');
      res.json({
        partnerId: req.principal.partnerId,
        expiresAt: req.principal.expiresAt,
        // Where there is one, Step 1 can be one admin consent to TARGETconnect's app.
        platformApp: platformAppId === null ? null : { appId: platformAppId },
      });
    })
    .all(methodNotAllowed('GET'));

  return router;
}
