/**
 * Who may call what, from the contract: every operation of openapi.yaml is called with no key, a
 * partner key, a setup link of the path's partner and the admin key, and each answer is held to
 * the operation's `security` (a setup link of another partner: 404 where setup links may go): 401
 * without a key where a key is needed, 403 for a key of the wrong kind, and no authentication
 * error for a kind it allows. Every route the app serves must be in the contract, so a new route
 * cannot be added without saying who may call it.
 */
import type { Express } from 'express';
import { openapiDocument } from '../support/contract';
import { makeHarness, validPartner, type Harness } from '../support/harness';

type Kind = 'none' | 'partner' | 'setup' | 'admin';
const SCHEMES: Record<string, Exclude<Kind, 'none'>> = {
  adminKey: 'admin',
  partnerKey: 'partner',
  setupLink: 'setup',
};
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

interface Operation {
  method: (typeof METHODS)[number];
  template: string;
  allowed: Set<Exclude<Kind, 'none'>> | 'public';
}

function operations(): Operation[] {
  const doc = openapiDocument as unknown as {
    security: Array<Record<string, unknown>>;
    paths: Record<string, Record<string, { security?: Array<Record<string, unknown>> }>>;
  };
  return Object.entries(doc.paths).flatMap(([template, item]) =>
    METHODS.filter((m) => item[m] !== undefined).map((method) => {
      const security = item[method]!.security ?? doc.security;
      const schemes = security.flatMap((requirement) => Object.keys(requirement));
      return {
        method,
        template,
        allowed:
          schemes.length === 0
            ? ('public' as const)
            : new Set(
                schemes.map((s) => {
                  if (!SCHEMES[s]) throw new Error(`unknown security scheme ${s}`);
                  return SCHEMES[s];
                }),
              ),
      };
    }),
  );
}

/** The routes the app serves, as "METHOD /path/{param}", read from Express's own router. */
function servedRoutes(app: Express): string[] {
  interface Layer {
    route?: { path: string | string[]; methods: Record<string, boolean> };
    handle: { stack?: Layer[] };
  }
  const walk = (stack: Layer[]): string[] =>
    stack.flatMap((layer) => {
      if (layer.handle.stack) return walk(layer.handle.stack);
      if (!layer.route) return [];
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      const methods = Object.keys(layer.route.methods).filter((m) => m !== '_all');
      return paths.flatMap((p) => methods.map((m) => `${m.toUpperCase()} ${p.replace(/:(\w+)/g, '{$1}')}`));
    });
  return [...new Set(walk((app as unknown as { router: { stack: Layer[] } }).router.stack))].sort();
}

let h: Harness;
let partnerKey: string;
/** Setup links of the partner every path names, and of another one. */
let setupToken: string;
let otherSetupToken: string;
const tokenOf = (url: string) => url.slice(url.indexOf('#') + 1);
beforeAll(async () => {
  h = makeHarness();
  // The key's own partner, and the partner every path names (so the admin's writes touch only it).
  for (const id of ['uni-own', 'uni-b']) {
    expect(
      (await h.request.put(`/partners/${id}`).set('Authorization', h.admin).send(validPartner())).status,
    ).toBe(201);
  }
  partnerKey = (await h.request.post('/partners/uni-own/api-keys').set('Authorization', h.admin)).body.key;
  setupToken = tokenOf(
    (await h.request.post('/partners/uni-b/setup-links').set('Authorization', h.admin)).body.url,
  );
  otherSetupToken = tokenOf(
    (await h.request.post('/partners/uni-own/setup-links').set('Authorization', h.admin)).body.url,
  );
});
afterAll(async () => {
  await h.close();
});

function call(op: Operation, kind: Kind | 'other-setup') {
  const path = op.template
    .replace('{partnerId}', 'uni-b')
    .replace('{appointmentId}', 'appt-authorization')
    .replace('{keyId}', '00000000-0000-4000-8000-000000000000')
    .replace('{certificateId}', '00000000-0000-4000-8000-000000000001')
    .replace('{linkId}', '00000000-0000-4000-8000-000000000002');
  let req = h.request[op.method](path);
  if (kind === 'partner') req = req.set('Authorization', `Bearer ${partnerKey}`);
  if (kind === 'admin') req = req.set('Authorization', h.admin);
  if (kind === 'setup') req = req.set('Authorization', `Bearer ${setupToken}`);
  if (kind === 'other-setup') req = req.set('Authorization', `Bearer ${otherSetupToken}`);
  return op.method === 'get' || op.method === 'delete' ? req : req.send({});
}

function expected(op: Operation, kind: Kind): 401 | 403 | 'allowed' {
  if (op.allowed === 'public') return 'allowed';
  if (kind === 'none') return 401;
  return op.allowed.has(kind) ? 'allowed' : 403;
}

const ops = operations();

test('the contract has every operation of the service, each with its security', () => {
  expect(ops.length).toBeGreaterThanOrEqual(15);
  expect(
    ops
      .filter((op) => op.allowed === 'public')
      .map((op) => op.template)
      .sort(),
  ).toEqual([
    '/health',
    '/setup',
    '/setup/consent',
    '/setup/favicon.svg',
    '/setup/setup.css',
    '/setup/setup.js',
  ]);
  expect(servedRoutes(h.built.app)).toEqual(
    ops.map((op) => `${op.method.toUpperCase()} ${op.template}`).sort(),
  );
});

describe.each(['none', 'partner', 'setup', 'admin'] as const)('with %s key', (kind) => {
  test.each(ops.map((op) => [`${op.method.toUpperCase()} ${op.template}`, op] as const))(
    '%s answers as its security says',
    async (_label, op) => {
      const before = JSON.stringify([
        await h.store.partners.list(),
        await h.store.apiKeys.listByPartner('uni-b'),
      ]);
      const res = await call(op, kind);
      const want = expected(op, kind);
      if (want === 'allowed') {
        expect([401, 403]).not.toContain(res.status);
        return;
      }
      expect(res.status).toBe(want);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe(want === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN');
      // Refused means nothing happened.
      expect(
        JSON.stringify([await h.store.partners.list(), await h.store.apiKeys.listByPartner('uni-b')]),
      ).toBe(before);
    },
  );
});

test('a setup link of another partner: 404 wherever setup links may go, 403 elsewhere, nothing changed', async () => {
  const before = JSON.stringify(await h.store.partners.list());
  const answers = [];
  for (const op of ops.filter((o) => o.allowed !== 'public' && o.template !== '/setup-link')) {
    const res = await call(op, 'other-setup');
    const allowed = op.allowed !== 'public' && op.allowed.has('setup');
    answers.push(`${op.method.toUpperCase()} ${op.template} ${res.status} ${res.body.code}`);
    expect(`${op.method.toUpperCase()} ${op.template} ${res.status} ${res.body.code}`).toBe(
      `${op.method.toUpperCase()} ${op.template} ${allowed ? '404 PARTNER_NOT_FOUND' : '403 FORBIDDEN'}`,
    );
  }
  expect(answers.filter((a) => a.includes(' 404 '))).toHaveLength(11);
  expect(answers.filter((a) => a.includes(' 200 '))).toEqual([]);
  expect(JSON.stringify(await h.store.partners.list())).toBe(before);
});
