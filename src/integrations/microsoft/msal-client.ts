/**
 * One MSAL ConfidentialClientApplication for one tenant connection and one credential (a secret,
 * one certificate, or a federated token), over the service's own HTTP client (msal-network-client.ts), for the token
 * provider (token-provider.ts).
 */
import { ConfidentialClientApplication } from '@azure/msal-node';
import type { AxiosInstance } from 'axios';
import { MSAL_BUILT_IN_HOSTS, type CloudEndpoints } from './clouds';
import { createMsalNetworkClient, type MsalNetworkClient } from './msal-network-client';

export type Msal = { app: ConfidentialClientApplication; network: MsalNetworkClient };

export type MsalCredential =
  | { clientSecret: string }
  | { clientCertificate: { thumbprintSha256: string; privateKey: string } }
  /** Workload identity federation: MSAL calls it for each token request it sends. */
  | { clientAssertion: () => Promise<string> };

/** Which application asks, in which tenant. */
export interface MsalIdentity {
  clientId: string;
  tenantId: string;
}

/** OpenID endpoints as msal-node's built-in metadata has them for Microsoft's hosts. */
function authorityMetadata(authorityHost: string, tenant: string): string {
  const base = `${authorityHost}/${tenant}`;
  return JSON.stringify({
    token_endpoint: `${base}/oauth2/v2.0/token`,
    jwks_uri: `${base}/discovery/v2.0/keys`,
    issuer: `${base}/v2.0`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
  });
}

export function buildMsalClient(
  identity: MsalIdentity,
  credential: MsalCredential,
  endpoints: CloudEndpoints,
  http: AxiosInstance,
  timeoutMs: number,
): Msal {
  const network = createMsalNetworkClient(http, timeoutMs);
  const host = new URL(endpoints.authorityHost).host;
  const builtIn = MSAL_BUILT_IN_HOSTS.has(host);
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: identity.clientId,
      ...credential,
      authority: `${endpoints.authorityHost}/${identity.tenantId}`,
      // A host MSAL does not carry metadata for (an override, the simulator on 127.0.0.1:<port>):
      // trusted by name, with its endpoints given so that MSAL neither asks Microsoft's instance
      // discovery nor fetches the OpenID document. An unknown tenant then fails at the token
      // request (invalid_tenant, AADSTS90002), as on login.microsoftonline.com, rather than as
      // an endpoints_resolution_error that an outage of the metadata endpoint would also cause.
      ...(builtIn
        ? {}
        : {
            knownAuthorities: [host],
            authorityMetadata: authorityMetadata(endpoints.authorityHost, identity.tenantId),
          }),
    },
    system: { networkClient: network },
  });
  return { app, network };
}
