/**
 * Admin consent to the platform app (API.md "The platform app"): the consent link for a
 * partner's tenant (admin key or the partner's setup link), and the page Entra sends the admin's
 * browser back to, which records the outcome and says what happened and what to do next. The page
 * is plain HTML under the setup page's CSP, with no script.
 */
import { Router } from 'express';
import type { ConsentOutcome, ConsentService } from '../../domain/credentials/consent.service';
import type { Access } from '../middleware/access';
import { methodNotAllowed } from '../middleware/method-not-allowed';
import { parseOrThrow, partnerParamsSchema } from '../schemas/common';
import { SETUP_PAGE_CSP } from './setup.routes';

export function consentRoutes(consent: ConsentService, access: Access): Router {
  const router = Router({ strict: true });

  router
    .route('/partners/:partnerId/consent-link')
    .all(access.setup)
    .post(async (req, res) => {
      const { partnerId } = parseOrThrow(partnerParamsSchema, req.params, 'params');
      const link = await consent.link(partnerId);
      // The link carries a single-use state: its expiry is logged, not the link.
      req.log.info({ partnerId, expiresAt: link.expiresAt }, 'consent link made');
      res.setHeader('Cache-Control', 'no-store');
      res.json(link);
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/setup/consent')
    .all(access.none)
    .get(async (req, res) => {
      const outcome = await consent.complete(req.query as Record<string, unknown>);
      req.log.info(
        { outcome: outcome.kind, ...('partnerId' in outcome ? { partnerId: outcome.partnerId } : {}) },
        'admin consent answered',
      );
      res.setHeader('Content-Security-Policy', SETUP_PAGE_CSP);
      res.setHeader('Cache-Control', 'no-store');
      res
        .status(outcome.kind === 'refused' ? 400 : 200)
        .type('text/html; charset=utf-8')
        .send(page(outcome));
    })
    .all(methodNotAllowed('GET'));

  return router;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(outcome: ConsentOutcome): string {
  const [title, body] =
    outcome.kind === 'granted'
      ? [
          "Consent recorded: TARGETconnect's app can now work in your tenant",
          `<p>Thank you. Your tenant (<code>${escape(outcome.tenantId)}</code>) consented to TARGETconnect's platform app for partner <code>${escape(outcome.partnerId)}</code>. No app registration or secret is needed on your side.</p>
<h2>What to do next</h2>
<ol>
<li>Steps 2-3: your Teams admin grants the application access policy to the careers advisers, naming TARGETconnect's application (the setup page's Step 2 gives the PowerShell). A new grant can take up to 30 minutes to apply.</li>
<li>Microsoft can take a few minutes to make the consent effective: the setup page's checks show "consent granted, not yet in effect" meanwhile.</li>
<li>Go back to your setup page and press "Check my setup".</li>
</ol>`,
        ]
      : outcome.kind === 'denied'
        ? [
            'Consent was not given',
            `<p>Microsoft Entra ID reported: <q>${escape(outcome.reason)}</q></p>
<h2>What to do next</h2>
<p>Consent must be given by a Global Administrator or Privileged Role Administrator of the university's tenant. Ask one to open a new consent link from the setup page (Step 1, "Use TARGETconnect's app") and accept. Or register your own app instead (Step 1, "Register your own app").</p>`,
          ]
        : [
            'This consent link cannot be used',
            `<p>${escape(outcome.reason)}</p>
<h2>What to do next</h2>
<p>Nothing was recorded. Open your setup page and make a new consent link (Step 1, "Use TARGETconnect's app"), then open it while signed in as an admin of the university's tenant.</p>`,
          ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · TARGETconnect Teams meetings</title>
<link rel="icon" href="/setup/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/setup/setup.css">
</head>
<body>
<main>
<h1>${escape(title)}</h1>
${body}
</main>
</body>
</html>
`;
}
