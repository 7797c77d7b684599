/**
 * The Teams admin's PowerShell for the application access policy (setup guide Steps 2-3), made
 * safe to run on a live tenant, and twice: "Only one ApplicationAccessPolicy can be applied to a
 * user. Any previous setting will be overwritten." So the script
 * - creates the policy only when `Get-CsApplicationAccessPolicy` does not find it (and adds this
 *   application to it when it exists without it);
 * - for each adviser, reads the policy they hold (`Get-CsOnlineUser`) and grants only when it is
 *   empty or already ours; otherwise it warns, with the `Set-CsApplicationAccessPolicy … @{Add=…}`
 *   line that adds this application to their policy, and grants nothing;
 * - grants to an Entra group of advisers (`-Group … -Rank …`) when one is given.
 * Everything interpolated into code is a GUID (application, object and group ids, checked here) or
 * the fixed policy name; names and values people typed appear only in comments, on one line, with
 * control characters removed, so nothing can end a string or a comment.
 */
import type { PartnerRecord } from '../partners/partner.record';
import { ACCESS_POLICY_NAME, SETUP_STEPS } from './setup-guide';
import { GUID_PATTERN } from '../guid';
import { commentSafe, guid } from './powershell';

/** An operator as looked up for the setup checks. */
export interface OperatorOutcome {
  index: number;
  value: string | null;
  status: 'matched' | 'not_found' | 'ambiguous' | 'missing_field';
  user?: { id: string; userPrincipalName: string; mail?: string | null };
}

/** An Entra security group of advisers, and the rank of its grant (1 wins over other groups). */
export interface GroupGrant {
  groupId: string;
  rank: number;
}

export function accessPolicyScript(
  partner: PartnerRecord,
  outcomes: OperatorOutcome[],
  group?: GroupGrant,
): string {
  const app = guid(partner.applicationId, 'applicationId');
  const resolved = outcomes.filter((o) => o.status === 'matched' && o.user && GUID_PATTERN.test(o.user.id));
  const unresolved = outcomes.filter((o) => !resolved.includes(o));
  const lines = [
    `# Teams application access policy for TARGETconnect partner "${commentSafe(partner.id)}"`,
    `# (setup guide: ${SETUP_STEPS.teams}, and the API Permission Restrictions of ${SETUP_STEPS.restrictions}).`,
    '# Run as a Teams administrator in PowerShell. Once per machine: Install-Module -Name MicrosoftTeams',
    '# Safe to run twice: it creates the policy only when missing, and never replaces a policy an',
    '# adviser already holds (a user holds ONE application access policy); it says what to run instead.',
    '',
    "$ErrorActionPreference = 'Stop'",
    `$AppId = '${app}'`,
    `$PolicyName = '${ACCESS_POLICY_NAME}'`,
    'Connect-MicrosoftTeams',
    '',
    '# The policy: created when missing; this application added when the policy exists without it.',
    '$policy = Get-CsApplicationAccessPolicy -Identity $PolicyName -ErrorAction SilentlyContinue',
    'if ($null -eq $policy) {',
    "  New-CsApplicationAccessPolicy -Identity $PolicyName -AppIds $AppId -Description 'TARGETconnect appointments'",
    '} elseif ($policy.AppIds -notcontains $AppId) {',
    '  Set-CsApplicationAccessPolicy -Identity $PolicyName -AppIds @{Add=$AppId}',
    '}',
    '',
    '# Grants the policy to one adviser, unless they hold another one: then it says how to extend that.',
    'function Grant-TargetconnectPolicy([string]$ObjectId, [string]$Label) {',
    '  $current = [string](Get-CsOnlineUser -Identity $ObjectId).ApplicationAccessPolicy',
    '  if ([string]::IsNullOrEmpty($current) -or $current -eq $PolicyName) {',
    '    Grant-CsApplicationAccessPolicy -PolicyName $PolicyName -Identity $ObjectId',
    '  } else {',
    `    Write-Warning ("$Label holds the policy '$current'; nothing was granted. To add this application to it: " +`,
    `      "Set-CsApplicationAccessPolicy -Identity '$current' -AppIds @{Add='$AppId'}")`,
    '  }',
    '}',
    '',
  ];
  if (group) {
    const groupId = guid(group.groupId, 'groupId');
    const rank = Number.isInteger(group.rank) && group.rank >= 1 ? group.rank : 1;
    lines.push(
      `# The group of advisers (object id ${groupId}): members inherit the policy; a member with a policy`,
      '# of their own keeps theirs, and among several group grants the best rank (1) wins.',
      `Grant-CsApplicationAccessPolicy -PolicyName $PolicyName -Group '${groupId}' -Rank ${rank}`,
      '',
    );
  }
  if (outcomes.length === 0 && !group) {
    lines.push(
      '# Send the advisers (operators) in the request, or a group (groupId), to get their grants. By hand:',
      "#   Grant-TargetconnectPolicy -ObjectId '<adviser object id>' -Label 'adviser'",
      '',
    );
  }
  for (const o of resolved) {
    lines.push(
      `# operator ${o.index}: ${commentSafe(o.value ?? '')} (${commentSafe(o.user!.userPrincipalName)})`,
      `Grant-TargetconnectPolicy -ObjectId '${guid(o.user!.id, 'object id')}' -Label 'operator ${o.index}'`,
    );
  }
  if (unresolved.length > 0) {
    lines.push(
      '',
      '# Not resolved, so not granted (fix them in Entra ID or in the partner match fields, Step 4):',
    );
    for (const o of unresolved) {
      lines.push(
        `#   operator ${o.index}: ${o.status}: ${commentSafe(partner.operatorLocalMatchField)} = ${commentSafe(o.value ?? '(missing)')}`,
      );
    }
  }
  lines.push(
    '',
    '# A grant can take up to 30 minutes to take effect. Then, on the setup page of this partner',
    `# (${commentSafe(partner.id)}), press "Check my setup": each adviser above should pass.`,
    '',
  );
  return lines.join('\n');
}
