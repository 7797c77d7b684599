/**
 * Entra ID's side: the v2.0 token endpoint for the client-credentials grant, the tenant's OpenID
 * configuration (which MSAL fetches for a `knownAuthorities` host), its signing keys, and instance
 * discovery. Errors carry Entra's AADSTS codes, in the order Entra checks them.
 */
import { checkClientAssertion } from './client-assertion';
import { GRAPH_APP_ID, GRAPH_RESOURCE, type TokenSigner } from './access-tokens';
import { isGuid, type Directory } from './directory';
import { aadError, aadHeaders, type AadErrorInput, type AnswerContext } from './responses';
import type { SimApp, SimRequest, SimResponse, SimTenant } from './types';

export interface IdentityEnv {
  directory: Directory;
  signer: TokenSigner;
  answer: AnswerContext;
  tokenLifetimeSeconds: number;
}

/** What the server records next to the answer. */
export interface IdentityResult {
  response: SimResponse;
  tenantId?: string;
  appId?: string;
}

const DNS_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

type TenantLookup = { tenant: SimTenant } | { error: AadErrorInput };

function lookUpTenant(segment: string, directory: Directory): TenantLookup {
  if (!isGuid(segment) && !DNS_NAME.test(segment)) {
    return {
      error: {
        status: 400,
        error: 'invalid_request',
        code: 900023,
        description: `Specified tenant identifier '${segment}' is neither a valid DNS name, nor a valid external domain.`,
      },
    };
  }
  const tenant = directory.resolveTenant(segment);
  if (!tenant) {
    return {
      error: {
        status: 400,
        error: 'invalid_tenant',
        code: 90002,
        description:
          `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing ` +
          'into the correct cloud. Check with your subscription administrator, this may happen if there are ' +
          'no active subscriptions for the tenant.',
      },
    };
  }
  return { tenant };
}

function missing(parameter: string): AadErrorInput {
  return {
    status: 400,
    error: 'invalid_request',
    code: 900144,
    description: `The request body must contain the following parameter: '${parameter}'.`,
  };
}

function formValue(form: Record<string, unknown>, name: string): string | undefined {
  const value = form[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The resource of a `/.default` scope, if it is Microsoft Graph. */
function isGraphResource(resource: string): boolean {
  const normalised = resource.toLowerCase().replace(/\/$/, '');
  return normalised === GRAPH_RESOURCE || normalised === GRAPH_APP_ID;
}

/** `POST /{tenant}/oauth2/v2.0/token` with `grant_type=client_credentials` and a client secret. */
export function handleToken(req: SimRequest, tenantSegment: string, env: IdentityEnv): IdentityResult {
  const fail = (input: AadErrorInput, ids: { tenantId?: string; appId?: string } = {}): IdentityResult => ({
    response: aadError(env.answer, input),
    ...ids,
  });
  if (req.method !== 'POST') {
    return fail({
      status: 400,
      error: 'invalid_request',
      code: 900561,
      description: `The endpoint only accepts POST, OPTIONS requests. Received a ${req.method} request.`,
    });
  }
  const found = lookUpTenant(tenantSegment, env.directory);
  if ('error' in found) return fail(found.error);
  const tenant = found.tenant;

  // Entra reads only a form body; JSON or anything else looks like a body without parameters.
  const form =
    req.isForm && typeof req.body === 'object' && req.body !== null
      ? (req.body as Record<string, unknown>)
      : {};
  const grantType = formValue(form, 'grant_type');
  if (grantType === undefined) return fail(missing('grant_type'), { tenantId: tenant.id });
  if (grantType !== 'client_credentials') {
    return fail(
      {
        status: 400,
        error: 'unsupported_grant_type',
        code: 70003,
        description: `The app requested an unsupported grant type '${grantType}'.`,
      },
      { tenantId: tenant.id },
    );
  }
  const clientId = formValue(form, 'client_id');
  if (clientId === undefined) return fail(missing('client_id'), { tenantId: tenant.id });
  const ids = { tenantId: tenant.id, appId: clientId };

  const scope = formValue(form, 'scope');
  if (scope === undefined) return fail(missing('scope'), ids);
  const scopes = scope.split(' ').filter((s) => s !== '');
  const notDefault = scopes.find((s) => !s.endsWith('/.default'));
  if (notDefault !== undefined) {
    return fail(
      {
        status: 400,
        error: 'invalid_scope',
        code: 1002012,
        description:
          `The provided value for scope ${notDefault} is not valid. Client credential flows must have a scope ` +
          'value with /.default suffixed to the resource identifier (application ID URI).',
      },
      ids,
    );
  }
  if (scopes.length > 1) {
    return fail(
      {
        status: 400,
        error: 'invalid_scope',
        code: 70011,
        description: `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
      },
      ids,
    );
  }

  // The app's own registration in this tenant, or a multi-tenant app consented to here.
  const own = env.directory.app(tenant.id, clientId);
  const foreign = own ? undefined : env.directory.multiTenantApp(clientId);
  const consent = foreign ? env.directory.consent(tenant.id, foreign.appId) : undefined;
  if (foreign && !consent) {
    return fail(
      {
        status: 400,
        error: 'invalid_client',
        code: 7000229,
        description:
          `The client application ${foreign.appId} is missing service principal in the tenant ${tenant.id}. ` +
          'See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119',
      },
      ids,
    );
  }
  const app = own ?? foreign;
  if (!app) {
    return fail(
      {
        status: 400,
        error: 'unauthorized_client',
        code: 700016,
        description:
          `Application with identifier '${clientId}' was not found in the directory '${tenantSegment}'. This can ` +
          'happen if the application has not been installed by the administrator of the tenant or consented to ' +
          'by any user in the tenant. You may have sent your authentication request to the wrong tenant.',
      },
      ids,
    );
  }

  const assertion = formValue(form, 'client_assertion');
  if (assertion !== undefined) {
    const tokenEndpoint = `${env.answer.origin}/${tenantSegment}/oauth2/v2.0/token`;
    const refused = checkClientAssertion(
      app,
      formValue(form, 'client_assertion_type'),
      assertion,
      tokenEndpoint,
    );
    if (refused) return fail(refused, ids);
  } else {
    const refused = checkClientSecret(app, formValue(form, 'client_secret'));
    if (refused) return fail(refused, ids);
  }

  const resource = (scopes[0] ?? '').slice(0, -'/.default'.length);
  if (!isGraphResource(resource)) {
    return fail(
      {
        status: 400,
        error: 'invalid_resource',
        code: 500011,
        description:
          `The resource principal named ${resource} was not found in the tenant named ${tenantSegment}. This can ` +
          'happen if the application has not been installed by the administrator of the tenant or consented to ' +
          'by any user in the tenant. You might have sent your authentication request to the wrong tenant.',
      },
      ids,
    );
  }

  const { token } = env.signer.issue({
    tenantId: tenant.id,
    appId: app.appId,
    servicePrincipalId: env.directory.servicePrincipalId(tenant.id, app.appId),
    // Just after consent, tokens come without roles for a while (replication).
    roles: consent === undefined ? app.roles : consent.effectiveAt <= Date.now() ? consent.roles : [],
    lifetimeSeconds: env.tokenLifetimeSeconds,
  });
  return {
    response: {
      status: 200,
      headers: aadHeaders(env.answer),
      body: {
        token_type: 'Bearer',
        expires_in: env.tokenLifetimeSeconds,
        ext_expires_in: env.tokenLifetimeSeconds,
        access_token: token,
      },
    },
    ...ids,
  };
}

/** `GET /{tenant}/v2.0/.well-known/openid-configuration`: endpoints use the tenant's GUID, as Entra's do. */
export function handleOpenIdConfiguration(tenantSegment: string, env: IdentityEnv): IdentityResult {
  const found = lookUpTenant(tenantSegment, env.directory);
  if ('error' in found) return { response: aadError(env.answer, found.error) };
  const base = `${env.answer.origin}/${found.tenant.id}`;
  return {
    tenantId: found.tenant.id,
    response: {
      status: 200,
      headers: aadHeaders(env.answer),
      body: {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic',
        ],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${base}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${env.answer.origin}/oidc/userinfo`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: [
          'sub',
          'iss',
          'aud',
          'exp',
          'iat',
          'auth_time',
          'acr',
          'nonce',
          'tid',
          'ver',
          'oid',
        ],
        kerberos_endpoint: `${base}/kerberos`,
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: new URL(env.answer.origin).host,
        rbac_url: 'https://pas.windows.net',
      },
    },
  };
}

/** `GET /{tenant}/discovery/v2.0/keys`: the key that signs this simulator's tokens. */
export function handleJwks(tenantSegment: string, env: IdentityEnv): IdentityResult {
  const found = lookUpTenant(tenantSegment, env.directory);
  if ('error' in found) return { response: aadError(env.answer, found.error) };
  return {
    tenantId: found.tenant.id,
    response: {
      status: 200,
      headers: aadHeaders(env.answer),
      body: env.signer.jwks(`${env.answer.origin}/${found.tenant.id}/v2.0`),
    },
  };
}

/**
 * `GET /common/discovery/instance`: MSAL asks Microsoft's copy of this for hosts it does not know
 * and that are not in `knownAuthorities`; the simulator's answers for its own host.
 */
export function handleInstanceDiscovery(req: SimRequest, env: IdentityEnv): IdentityResult {
  const host = new URL(env.answer.origin).host;
  let tenant = 'organizations';
  const authorize = req.query['authorization_endpoint'];
  if (authorize !== undefined) {
    try {
      tenant = new URL(authorize).pathname.split('/').filter((s) => s !== '')[0] ?? tenant;
    } catch {
      // Keep the default: Entra answers for a malformed value too.
    }
  }
  return {
    response: {
      status: 200,
      headers: aadHeaders(env.answer),
      body: {
        tenant_discovery_endpoint: `${env.answer.origin}/${tenant}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      },
    },
  };
}

/** The error Entra answers for a client secret, or null when it is a valid one of the app's. */
function checkClientSecret(app: SimApp, secret: string | undefined): AadErrorInput | null {
  if (secret === undefined) {
    return {
      status: 401,
      error: 'invalid_client',
      code: 7000218,
      description:
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    };
  }
  const matching = app.secrets.filter((s) => s.value === secret);
  if (matching.length === 0) {
    return {
      status: 401,
      error: 'invalid_client',
      code: 7000215,
      description:
        'Invalid client secret provided. Ensure the secret being sent in the request is the client secret ' +
        `value, not the client secret ID, for a secret added to app '${app.appId}'.`,
    };
  }
  const now = Date.now();
  if (!matching.some((s) => s.expiresAt === undefined || s.expiresAt.getTime() > now)) {
    return {
      status: 401,
      error: 'invalid_client',
      code: 7000222,
      description:
        `The provided client secret keys for app '${app.appId}' are expired. Visit the Azure portal to create ` +
        'new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for ' +
        'added security: https://aka.ms/certCreds.',
    };
  }

  return null;
}

export interface ConsentEnv {
  directory: Directory;
  /** The admin's answer in each tenant (default: grant). */
  decisionOf: (tenantId: string) => 'grant' | 'deny';
  /** How long after consent tokens still come without roles. */
  lagMs: number;
}

/**
 * `GET /{tenant}/v2.0/adminconsent?client_id&scope&redirect_uri&state`: the admin's browser at
 * Entra's consent page, the admin's answer given by the simulator (`consentDecision`). The
 * redirect URI must be registered on the app (else Entra shows AADSTS50011 and sends nobody back).
 */
export function handleAdminConsent(
  req: SimRequest,
  tenantSegment: string,
  env: IdentityEnv & ConsentEnv,
): IdentityResult {
  const page = (status: number, text: string): IdentityResult => ({
    response: { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: text },
  });
  if (req.method !== 'GET') return page(405, 'GET only');
  const found = lookUpTenant(tenantSegment, env.directory);
  if ('error' in found) return page(400, `AADSTS${found.error.code}: ${found.error.description}`);
  const clientId = req.query['client_id'] ?? '';
  const app = env.directory.multiTenantApp(clientId) ?? undefined;
  if (!app) {
    return page(
      400,
      `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenantSegment}'.`,
    );
  }
  const redirectUri = req.query['redirect_uri'] ?? '';
  if (!app.redirectUris.includes(redirectUri)) {
    return page(
      400,
      `AADSTS50011: The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${app.appId}'.`,
    );
  }
  const back = new URL(redirectUri);
  const state = req.query['state'];
  if (env.decisionOf(found.tenant.id) === 'deny') {
    back.searchParams.set('error', 'access_denied');
    back.searchParams.set('error_description', 'AADSTS65004: User declined to consent to access the app.');
  } else {
    env.directory.grantConsent(found.tenant.id, app.appId, Date.now(), env.lagMs);
    back.searchParams.set('admin_consent', 'True');
    back.searchParams.set('tenant', found.tenant.id);
    back.searchParams.set('scope', req.query['scope'] ?? '');
  }
  if (state !== undefined) back.searchParams.set('state', state);
  return {
    tenantId: found.tenant.id,
    appId: app.appId,
    response: { status: 302, headers: { location: back.toString() }, body: '' },
  };
}
