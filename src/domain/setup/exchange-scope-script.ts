/**
 * The Exchange admin's PowerShell for calendar-backed meetings (the Exchange step): Exchange
 * Online RBAC for Applications gives the application `Calendars.ReadWrite` on the advisers'
 * mailboxes only, instead of a tenant-wide consent in Entra ID (GRAPH.md, "Exchange Online RBAC
 * for Applications"). Safe to run twice: it reads what exists (`Get-ServicePrincipal`,
 * `Get-ManagementScope`, `Get-ManagementRoleAssignment`) and creates only what is missing; a scope
 * that exists with another filter is left alone, with a warning saying how to replace it.
 * Interpolated into code: GUIDs (checked here), the fixed scope name, and mailbox addresses that
 * are plain addresses (checked here), quoted for OPATH and for PowerShell; anything else people
 * typed appears only in comments, on one line.
 */
import type { PartnerRecord } from '../partners/partner.record';
import { commentSafe, guid, singleQuoted } from './powershell';
import type { GroupGrant, OperatorOutcome } from './access-policy-script';
import { EXCHANGE_SCOPE_NAME, SETUP_STEPS } from './setup-guide';

/** A plain mailbox address: nothing that could end a string or start an expression. */
const ADDRESS = /^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;

/** A PowerShell single-quoted string literal. */
const ps = singleQuoted;
/** An OPATH single-quoted literal (inside the filter). */
const opath = singleQuoted;

export function exchangeScopeScript(
  partner: PartnerRecord,
  servicePrincipalObjectId: string,
  outcomes: OperatorOutcome[],
  group?: GroupGrant,
): string {
  const app = guid(partner.applicationId, 'applicationId');
  const objectId = guid(servicePrincipalObjectId, 'the service principal object id');
  const mailboxOf = (o: OperatorOutcome) => o.user?.mail ?? o.user?.userPrincipalName ?? '';
  const resolved = outcomes.filter((o) => o.status === 'matched' && ADDRESS.test(mailboxOf(o)));
  const unresolved = outcomes.filter((o) => !resolved.includes(o));
  const addresses = [...new Set(resolved.map(mailboxOf))];
  const lines = [
    `# Calendar access for TARGETconnect partner "${commentSafe(partner.id)}" (${SETUP_STEPS.exchange}).`,
    "# Exchange Online RBAC for Applications: the application may use the advisers' calendars only.",
    '# Run as an Exchange administrator. Once per machine: Install-Module -Name ExchangeOnlineManagement',
    '# Safe to run twice: it creates only what is missing. Changes can take from minutes to a few hours.',
    '# Do not also consent Calendars.ReadWrite in Entra ID: that consent reaches every mailbox.',
    '',
    "$ErrorActionPreference = 'Stop'",
    'Connect-ExchangeOnline',
    '',
    `$AppId = ${ps(app)}`,
    `$ScopeName = ${ps(EXCHANGE_SCOPE_NAME)}`,
    '',
    '# The application in Exchange (its enterprise application object id in this tenant).',
    'if (-not (Get-ServicePrincipal -Identity $AppId -ErrorAction SilentlyContinue)) {',
    `  New-ServicePrincipal -AppId $AppId -ObjectId ${ps(objectId)} -DisplayName 'TARGETconnect Teams meetings'`,
    '}',
    '',
  ];
  if (group) {
    lines.push(
      '# The advisers: the members of this Entra group.',
      `$Group = Get-Group -Identity ${ps(guid(group.groupId, 'groupId'))}`,
      '$Filter = "MemberOfGroup -eq \'$($Group.DistinguishedName)\'"',
    );
  } else if (addresses.length > 0) {
    const filter = addresses.map((a) => `PrimarySmtpAddress -eq ${opath(a)}`).join(' -or ');
    lines.push('# The advisers: these mailboxes.', `$Filter = ${ps(filter)}`);
  } else {
    lines.push(
      '# No adviser was found: name them (operators) or their group (groupId), and ask again.',
      '$Filter = $null',
    );
  }
  lines.push(
    '',
    'if ($Filter) {',
    '  $Scope = Get-ManagementScope -Identity $ScopeName -ErrorAction SilentlyContinue',
    '  if (-not $Scope) {',
    '    New-ManagementScope -Name $ScopeName -RecipientRestrictionFilter $Filter',
    '  } elseif ($Scope.RecipientFilter -ne $Filter) {',
    "    Write-Warning \"The scope '$ScopeName' exists with another filter: $($Scope.RecipientFilter). Left as it is. To replace it: Set-ManagementScope -Identity '$ScopeName' -RecipientRestrictionFilter '$Filter'\"",
    '  }',
    "  $Assigned = Get-ManagementRoleAssignment -Role 'Application Calendars.ReadWrite' -ErrorAction SilentlyContinue |",
    '    Where-Object { $_.App -eq $AppId -or $_.RoleAssigneeName -eq $AppId }',
    '  if (-not $Assigned) {',
    "    New-ManagementRoleAssignment -App $AppId -Role 'Application Calendars.ReadWrite' -CustomResourceScope $ScopeName",
    '  }',
    '}',
  );
  if (addresses.length > 0) {
    lines.push('', '# Each adviser: InScope should say True (it can take a while after a change).');
    for (const address of addresses) {
      lines.push(
        `Test-ServicePrincipalAuthorization -Identity $AppId -Resource ${ps(address)} | Format-Table`,
      );
    }
  }
  if (unresolved.length > 0) {
    lines.push('', '# Not found in Entra ID (nothing above is about them): check these advisers.');
    for (const o of unresolved) {
      lines.push(
        `#   ${commentSafe(o.value ?? '(no value)')}: ${o.status === 'matched' ? 'no usable mailbox address' : o.status.replace('_', ' ')}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
