/**
 * Where each Microsoft cloud signs in and serves Graph, and the `/.default` scope its tokens are
 * requested for.
 *
 * The overrides (`AZURE_AUTHORITY_HOST`, `GRAPH_BASE_URL`) apply to every partner, but they only
 * move where requests go: the scope always comes from the partner's `cloud`. An override points at
 * a proxy, a private endpoint or the simulator; the token it returns must still be one that the
 * partner's real Graph (the audience) accepts, and the simulator, like Entra, only issues tokens
 * for the Graph resource it knows (`https://graph.microsoft.com`). Deriving the scope from an
 * override host would ask Entra for a token to a resource that does not exist.
 */
import type { Cloud } from '../../domain/partners/partner.record';

export interface CloudEndpoints {
  /** Origin of the Entra sign-in host, e.g. `https://login.microsoftonline.com`. */
  authorityHost: string;
  /** Graph root including the version, e.g. `https://graph.microsoft.com/v1.0`. */
  graphBaseUrl: string;
  /** `https://<graph host>/.default` of the partner's cloud. */
  graphScope: string;
}

export interface EndpointOverrides {
  authorityHost?: string | undefined;
  graphBaseUrl?: string | undefined;
}

const CLOUD_HOSTS: Record<Cloud, { login: string; graph: string }> = {
  global: { login: 'login.microsoftonline.com', graph: 'graph.microsoft.com' },
  usgov: { login: 'login.microsoftonline.us', graph: 'graph.microsoft.us' },
  usgovdod: { login: 'login.microsoftonline.us', graph: 'dod-graph.microsoft.us' },
};

/**
 * Sign-in hosts whose endpoints msal-node carries itself; any other host (an override, the
 * simulator) must be given to MSAL as a `knownAuthorities` entry.
 */
export const MSAL_BUILT_IN_HOSTS: ReadonlySet<string> = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
]);

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The endpoints a partner in `cloud` uses; overrides win for the hosts, never for the scope. */
export function endpointsFor(cloud: Cloud, overrides: EndpointOverrides = {}): CloudEndpoints {
  const hosts = CLOUD_HOSTS[cloud];
  return {
    authorityHost: withoutTrailingSlash(overrides.authorityHost ?? `https://${hosts.login}`),
    graphBaseUrl: withoutTrailingSlash(overrides.graphBaseUrl ?? `https://${hosts.graph}/v1.0`),
    graphScope: `https://${hosts.graph}/.default`,
  };
}
