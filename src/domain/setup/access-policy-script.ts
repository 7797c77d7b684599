/**
 * The Teams admin's PowerShell for the application access policy (setup guide Steps 2-3), from
 * the operators as the setup checks resolved them. Everything interpolated is an application id
 * or object id checked as a GUID, or text made safe for a PowerShell comment.
 */
import type { PartnerRecord } from '../partners/partner.model';
import { ACCESS_POLICY_NAME, SETUP_STEPS, grantLine } from './setup-guide';

/** An operator as looked up for the setup checks. */
export interface OperatorOutcome {
  index: number;
  value: string | null;
  status: 'matched' | 'not_found' | 'ambiguous' | 'missing_field';
  user?: { id: string; userPrincipalName: string };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A value safe inside a PowerShell comment: one line, no control characters. */
function commentSafe(value: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ').slice(0, 200);
}

/**
 * The PowerShell a Teams admin pastes (Steps 2-3): the policy, and a grant per resolved operator;
 * operators that were not resolved are listed as comments, never granted. `outcomes` is empty when
 * no operators were given.
 */
export function accessPolicyScript(partner: PartnerRecord, outcomes: OperatorOutcome[]): string {
  const app = partner.applicationId;
  const lines = [
    `# Teams application access policy for TARGETconnect partner "${commentSafe(partner.id)}"`,
    `# (setup guide: ${SETUP_STEPS.teams}, and the API Permission Restrictions of ${SETUP_STEPS.restrictions}).`,
    '# Run as a Teams administrator in PowerShell. Once per machine: Install-Module -Name MicrosoftTeams',
    '#',
    '# A user holds ONE application access policy: a grant replaces the one they had. If your tenant',
    '# already has a policy used by other apps, add this application to it instead of creating one:',
    `#   Set-CsApplicationAccessPolicy -Identity "<existing policy>" -AppIds @{Add="${app}"}`,
    '# and use that policy name in the Grant lines below.',
    '',
    'Connect-MicrosoftTeams',
    '',
    `New-CsApplicationAccessPolicy -Identity "${ACCESS_POLICY_NAME}" -AppIds "${app}" -Description "TARGETconnect appointments"`,
    '',
  ];
  const resolved = outcomes.filter((o) => o.status === 'matched' && o.user && GUID.test(o.user.id));
  const unresolved = outcomes.filter((o) => !resolved.includes(o));
  if (outcomes.length === 0) {
    lines.push(
      '# Grant it to each adviser (operator) by Entra object ID; send the operators in the request to get their lines:',
      `# ${grantLine('<operator object id>')}`,
      '# Or to everyone without a policy of their own:',
      `# Grant-CsApplicationAccessPolicy -PolicyName "${ACCESS_POLICY_NAME}" -Global`,
    );
  }
  for (const o of resolved) {
    lines.push(
      `# ${commentSafe(o.value ?? '')} (${commentSafe(o.user!.userPrincipalName)})`,
      grantLine(o.user!.id),
    );
  }
  if (unresolved.length > 0) {
    lines.push(
      '',
      '# Not resolved, so not granted (fix them in Entra ID or in the partner match fields, Step 4):',
    );
    for (const o of unresolved) {
      const field = partner.operatorLocalMatchField;
      lines.push(
        `#   operator ${o.index}: ${o.status}: ${commentSafe(field)} = ${commentSafe(o.value ?? '(missing)')}`,
      );
    }
  }
  lines.push(
    '',
    '# Check a user (an empty ApplicationAccessPolicy means the global one applies):',
    `#   Get-CsOnlineUser -Identity "<operator object id>" | Select-Object ApplicationAccessPolicy`,
    '# A new grant can take up to 30 minutes to take effect; then run the doctor again:',
    `#   npm run doctor -- --partner ${commentSafe(partner.id)}`,
    '',
  );
  return lines.join('\n');
}
