/** TARGETconnect's platform app in the simulator, as the platform-app tests set it up. */
import type { MicrosoftSimulator } from '../../tools/microsoft-simulator';
import type { FederatedIssuer } from '../../tools/fixtures/federation';
import { ROLES } from '../../tools/fixtures/university';

export const PLATFORM_APP_ID = '7e1c0a55-0b9d-4c44-9a36-5f1d7c2b9e01';
export const PLATFORM_HOME_TENANT_ID = '11111111-2222-4333-8444-555555555555';

/** Registers the platform app (multi-tenant) in its home tenant, trusting `issuer`'s tokens. */
export function addPlatformApp(
  sim: MicrosoftSimulator,
  issuer: FederatedIssuer,
  redirectUri: string,
  roles: string[] = ROLES,
): void {
  sim.addTenant({ id: PLATFORM_HOME_TENANT_ID, domains: ['targetconnect.example'] });
  sim.addApp({
    tenantId: PLATFORM_HOME_TENANT_ID,
    appId: PLATFORM_APP_ID,
    secrets: [],
    roles,
    multiTenant: true,
    redirectUris: [redirectUri],
    federatedCredentials: [issuer.credential],
  });
}
