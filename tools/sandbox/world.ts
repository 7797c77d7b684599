/**
 * The sandbox's simulated university, the one the README's examples use: partner `uni-example`,
 * tenant `uni.ac.uk`, the app registration of the setup guide's Step 1 (both permissions
 * consented), advisers with and without an access policy, and students.
 */
import type { SimulatorSeed } from '../microsoft-simulator';

export const SANDBOX_TENANT_ID = '5a2c0f1e-7b3d-4c8a-9e61-2f4b8d0c6a11';
export const SANDBOX_DOMAIN = 'uni.ac.uk';
export const SANDBOX_APP_ID = 'c0ffee00-1d2e-4f3a-8b5c-6d7e8f9a0b1c';
export const SANDBOX_PARTNER_ID = 'uni-example';
/**
 * The simulated app's client secret. It opens nothing but this simulator, so it is fixed, and the
 * README's partner example can send it as written.
 */
export const SANDBOX_CLIENT_SECRET = 'sbx8Q~sandbox.client-secret_only-for-the-simulator';

export const SANDBOX_OPERATORS = {
  withPolicy: ['ada.adviser@uni.ac.uk', 'ben.careers@uni.ac.uk'],
  withoutPolicy: 'nina.nopolicy@uni.ac.uk',
} as const;

export const SANDBOX_STUDENTS = [
  'sam.student@uni.ac.uk',
  'olivia.okafor@uni.ac.uk',
  "liam.o'brien@uni.ac.uk",
  'priya.patel@uni.ac.uk',
];

function person(email: string): { userPrincipalName: string; mail: string; displayName: string } {
  const [local = email] = email.split('@');
  const displayName = local
    .split('.')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join(' ');
  return { userPrincipalName: email, mail: email, displayName };
}

export function sandboxWorld(): SimulatorSeed {
  return {
    tenants: [{ id: SANDBOX_TENANT_ID, domains: [SANDBOX_DOMAIN] }],
    apps: [
      {
        tenantId: SANDBOX_TENANT_ID,
        appId: SANDBOX_APP_ID,
        secrets: [{ value: SANDBOX_CLIENT_SECRET, expiresAt: new Date(Date.now() + 365 * 86_400_000) }],
        roles: ['OnlineMeetings.ReadWrite.All', 'User.ReadBasic.All', 'OnlineMeetingArtifact.Read.All'],
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
