/**
 * What the service knows of the setup guide universities follow (README, "Setting up a
 * university"): its steps, the
 * permissions of Step 1, and the Teams application access policy of Steps 2-3. Remediations,
 * diagnostics and the PowerShell script all speak from here.
 */

export const SETUP_STEPS = {
  azure: 'Step 1 - Azure AD/Microsoft Graph Config',
  teams: 'Step 2 - Microsoft Teams Configuration',
  restrictions: 'Step 3 - Configure API Permission Restrictions',
  platform: 'Step 4 - TARGETconnect platform',
  /** Calendar-backed meetings only: the advisers' calendars, for the application. */
  exchange: 'Exchange step - Calendar access (RBAC for Applications)',
} as const;

/** The application permission calendar-backed meetings need, scoped by Exchange, not consented tenant-wide. */
export const CALENDAR_PERMISSION = 'Calendars.ReadWrite';
export type SetupStep = (typeof SETUP_STEPS)[keyof typeof SETUP_STEPS];

/** The policy name the service suggests when the tenant has none for this app yet. */
export const ACCESS_POLICY_NAME = 'TARGETconnect-Teams-Meetings';

/** The optional application permission for attendance reports (API: "Attendance"). */
export const ATTENDANCE_PERMISSION = 'OnlineMeetingArtifact.Read.All';

/** The two application permissions of setup guide Step 1. */
export const REQUIRED_PERMISSIONS = ['OnlineMeetings.ReadWrite.All', 'User.ReadBasic.All'] as const;
export type RequiredPermission = (typeof REQUIRED_PERMISSIONS)[number];

/** Roles that also give what each required permission gives. */
const SATISFIED_BY: Record<RequiredPermission, string[]> = {
  'OnlineMeetings.ReadWrite.All': ['OnlineMeetings.ReadWrite.All'],
  'User.ReadBasic.All': [
    'User.ReadBasic.All',
    'User.Read.All',
    'User.ReadWrite.All',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
};

/** The required permissions that the token's roles do not give. */
export function missingPermissions(roles: readonly string[]): RequiredPermission[] {
  return REQUIRED_PERMISSIONS.filter((p) => !SATISFIED_BY[p].some((r) => roles.includes(r)));
}

/** What the Teams admin runs (setup guide Steps 2-3) so that the operator may own meetings. */
/** The grant line for one operator. */
export function grantLine(objectId: string): string {
  return `Grant-CsApplicationAccessPolicy -PolicyName "${ACCESS_POLICY_NAME}" -Identity "${objectId}"`;
}

export function accessPolicyRemediation(applicationId: string, objectId: string): string {
  return [
    `A Teams administrator must grant the Teams application access policy of application ${applicationId} to this ` +
      `operator, whose Entra object ID is ${objectId} (setup guide Steps 2-3, "API Permission Restrictions"). In ` +
      'PowerShell with the MicrosoftTeams module, after Connect-MicrosoftTeams:',
    grantLine(objectId),
    'If no policy for this application exists yet, create it first:',
    `New-CsApplicationAccessPolicy -Identity "${ACCESS_POLICY_NAME}" -AppIds "${applicationId}" -Description "TARGETconnect appointments"`,
    'If the operator already holds another policy, add the application to that policy instead ' +
      `(Set-CsApplicationAccessPolicy -Identity "<that policy>" -AppIds @{Add="${applicationId}"}): a user holds ` +
      'only one policy, and a new grant replaces the old one.',
    'A new grant can take up to 30 minutes to take effect.',
  ].join('\n');
}

/** The management scope the Exchange step makes for the advisers (RBAC for Applications). */
export const EXCHANGE_SCOPE_NAME = 'TARGETconnect advisers';

/** What an Exchange admin does when Exchange refuses an adviser's calendar to the application. */
export function calendarAccessRemediation(applicationId: string, objectId: string): string {
  return [
    `An Exchange administrator must add this adviser's mailbox (Entra object ID ${objectId}) to the calendar scope of ` +
      `application ${applicationId} (the Exchange step: RBAC for Applications). In PowerShell with the ` +
      'ExchangeOnlineManagement module, after Connect-ExchangeOnline: add the adviser to the group or the list of ' +
      `mailboxes that the management scope "${EXCHANGE_SCOPE_NAME}" names (Get-ManagementScope "${EXCHANGE_SCOPE_NAME}"), ` +
      `with the role assignment New-ManagementRoleAssignment -App ${applicationId} -Role "Application Calendars.ReadWrite" ` +
      `-CustomResourceScope "${EXCHANGE_SCOPE_NAME}" in place, then check:`,
    `Test-ServicePrincipalAuthorization -Identity ${applicationId} -Resource ${objectId}`,
    'The setup page (or POST /partners/{partnerId}/exchange-scope-script) writes the whole script for the advisers. ' +
      'Changes can take from minutes to a few hours to apply.',
  ].join('\n');
}
