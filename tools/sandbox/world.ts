/**
 * The sandbox's simulated university: one tenant, the app registration of the setup guide's
 * Step 1 (both permissions consented), advisers with and without an access policy, students.
 */
import type { SimulatorSeed } from '../microsoft-simulator';

export const SANDBOX_TENANT_ID = '5a2c0f1e-7b3d-4c8a-9e61-2f4b8d0c6a11';
export const SANDBOX_DOMAIN = 'sandbox-uni.ac.uk';
export const SANDBOX_APP_ID = 'c0ffee00-1d2e-4f3a-8b5c-6d7e8f9a0b1c';
export const SANDBOX_PARTNER_ID = 'sandbox-uni';

export const SANDBOX_OPERATORS = {
  withPolicy: ['ada.adviser@sandbox-uni.ac.uk', 'ben.careers@sandbox-uni.ac.uk'],
  withoutPolicy: 'nina.nopolicy@sandbox-uni.ac.uk',
} as const;

export const SANDBOX_STUDENTS = [
  'sam.student@sandbox-uni.ac.uk',
  'olivia.okafor@sandbox-uni.ac.uk',
  "liam.o'brien@sandbox-uni.ac.uk",
  'priya.patel@sandbox-uni.ac.uk',
];

function person(email: string): { userPrincipalName: string; mail: string; displayName: string } {
  const [local = email] = email.split('@');
  const displayName = local
    .split('.')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join(' ');
  return { userPrincipalName: email, mail: email, displayName };
}

/** The world, with the client secret the sandbox generated for this run. */
export function sandboxWorld(clientSecret: string): SimulatorSeed {
  return {
    tenants: [{ id: SANDBOX_TENANT_ID, domains: [SANDBOX_DOMAIN] }],
    apps: [
      {
        tenantId: SANDBOX_TENANT_ID,
        appId: SANDBOX_APP_ID,
        secrets: [{ value: clientSecret, expiresAt: new Date(Date.now() + 365 * 86_400_000) }],
        roles: ['OnlineMeetings.ReadWrite.All', 'User.ReadBasic.All'],
      },
    ],
    users: [
      ...SANDBOX_OPERATORS.withPolicy.map((email) => ({
        tenantId: SANDBOX_TENANT_ID,
        ...person(email),
        grantPolicyTo: [SANDBOX_APP_ID],
      })),
      { tenantId: SANDBOX_TENANT_ID, ...person(SANDBOX_OPERATORS.withoutPolicy) },
      ...SANDBOX_STUDENTS.map((email) => ({ tenantId: SANDBOX_TENANT_ID, ...person(email) })),
    ],
  };
}
