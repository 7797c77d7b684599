/**
 * A whole simulated world from plain JSON (for the CLI's `--seed` file and the sandbox): tenants,
 * app registrations, users and their Teams application access policies.
 */
import type { MicrosoftSimulator } from './simulator';
import type { SimUser } from './types';

export interface SimulatorSeed {
  tenants?: Array<{ id: string; domains?: string[] }>;
  apps?: Array<{
    tenantId: string;
    appId: string;
    /** `expiresAt` as an ISO 8601 string or Date. */
    secrets: Array<{ value: string; id?: string; expiresAt?: string | Date }>;
    roles?: string[];
    usersEndpointForbidden?: boolean;
  }>;
  users?: Array<{
    tenantId: string;
    id?: string;
    userPrincipalName: string;
    mail?: string | null;
    displayName?: string;
    givenName?: string;
    surname?: string;
    /** App IDs whose access policy is granted to this user. */
    grantPolicyTo?: string[];
  }>;
  /** Tenant-wide access policy grants. */
  globalPolicies?: Array<{ tenantId: string; appId: string }>;
  /** Exchange RBAC for Applications: the app may use these users' calendars (by UPN). */
  calendarScopes?: Array<{ tenantId: string; appId: string; users: string[] }>;
}

/** Adds everything in the seed; returns the users as stored (with their generated IDs). */
export function seedSimulator(sim: MicrosoftSimulator, seed: SimulatorSeed): SimUser[] {
  for (const tenant of seed.tenants ?? []) sim.addTenant(tenant);
  for (const app of seed.apps ?? []) {
    sim.addApp({
      ...app,
      secrets: app.secrets.map((s) => ({
        value: s.value,
        ...(s.id !== undefined ? { id: s.id } : {}),
        ...(s.expiresAt !== undefined ? { expiresAt: new Date(s.expiresAt) } : {}),
      })),
    });
  }
  const users: SimUser[] = [];
  for (const { grantPolicyTo, ...user } of seed.users ?? []) {
    const stored = sim.addUser(user);
    for (const appId of grantPolicyTo ?? []) sim.grantPolicy(stored.tenantId, stored.id, appId);
    users.push(stored);
  }
  for (const grant of seed.globalPolicies ?? []) sim.grantGlobalPolicy(grant.tenantId, grant.appId);
  for (const scope of seed.calendarScopes ?? []) {
    const ids = scope.users.map((upn) => {
      const user = users.find((u) => u.userPrincipalName.toLowerCase() === upn.toLowerCase());
      if (!user) throw new Error(`calendarScopes: no user '${upn}'`);
      return user.id;
    });
    sim.scopeCalendars(scope.tenantId, scope.appId, ids);
  }
  return users;
}
