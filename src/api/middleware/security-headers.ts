/**
 * The security headers of a JSON API (OWASP REST Security Cheat Sheet): an answer may not be
 * framed, sniffed, run as a page, cached, or sent with a referrer. They are the same for every
 * answer, so they are one fixed list set in one pass: helmet's fifteen middleware, most of them
 * for HTML pages, cost a measurable share of a create (docs/BENCHMARKS.md).
 */
import type { NextFunction, Request, Response } from 'express';

export const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  // Join links and keys are answers no shared cache or browser history should keep.
  ['Cache-Control', 'no-store'],
];

export function securityHeaders() {
  return (_req: Request, res: Response, next: NextFunction): void => {
    for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
    next();
  };
}
