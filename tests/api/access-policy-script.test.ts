/**
 * The Teams admin's PowerShell (POST /partners/{id}/access-policy-script), safe on a live tenant
 * and when run twice. PowerShell cannot be had on this machine (not in Debian's archive nor the
 * npm registry), so the script is parsed and each branch checked: a fresh tenant (the policy is
 * created), a rerun (it is not created again, grants are not repeated blindly), an adviser who
 * holds another policy (a warning with the Set-… line, no grant), a group grant, and that nothing
 * a person typed can reach code.
 */
import { expectContract } from '../support/contract';
import { APP_ID, worldsPerTest, type ServiceWorld } from '../support/service-world';

const worlds = worldsPerTest();
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function script(w: ServiceWorld, body?: object) {
  const req = w.h.request.post('/partners/uni-x/access-policy-script').set('Authorization', w.h.admin);
  const res = body === undefined ? await req : await req.send(body);
  return res;
}

/** The code lines (no comments, no blanks). */
const code = (text: string) =>
  text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));

/** The lines of the block that follows `opener` up to its closing brace at the same indentation. */
function block(lines: string[], opener: RegExp): string[] {
  const start = lines.findIndex((l) => opener.test(l));
  expect(start).toBeGreaterThanOrEqual(0);
  const indent = lines[start]!.length - lines[start]!.trimStart().length;
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const lineIndent = line.length - line.trimStart().length;
    if (lineIndent <= indent && line.trimStart().startsWith('}')) break;
    body.push(line.trim());
  }
  return body;
}

describe('the policy itself', () => {
  test('a fresh tenant: the policy is created for this application; a rerun neither recreates nor overwrites it', async () => {
    const w = await worlds.world();
    const res = await script(w);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expectContract(res, 'POST', '/partners/{partnerId}/access-policy-script');
    const lines = code(res.text);
    expect(lines).toContain(`$AppId = '${APP_ID}'`);
    expect(lines).toContain("$PolicyName = 'TARGETconnect-Teams-Meetings'");
    // Read first...
    const get = lines.findIndex((l) =>
      l.startsWith('$policy = Get-CsApplicationAccessPolicy -Identity $PolicyName'),
    );
    const iff = lines.findIndex((l) => l === 'if ($null -eq $policy) {');
    expect(get).toBeGreaterThan(-1);
    expect(iff).toBe(get + 1);
    // ...create only when missing...
    expect(block(lines, /^if \(\$null -eq \$policy\) \{$/)).toEqual([
      "New-CsApplicationAccessPolicy -Identity $PolicyName -AppIds $AppId -Description 'TARGETconnect appointments'",
    ]);
    // ...and when it exists without this application, add it rather than replace the list.
    expect(block(lines, /^\} elseif \(\$policy\.AppIds -notcontains \$AppId\) \{$/)).toEqual([
      'Set-CsApplicationAccessPolicy -Identity $PolicyName -AppIds @{Add=$AppId}',
    ]);
    // No New- or unconditional grant anywhere else.
    expect(lines.filter((l) => l.includes('New-CsApplicationAccessPolicy'))).toHaveLength(1);
    expect(lines.filter((l) => /^Grant-CsApplicationAccessPolicy/.test(l))).toHaveLength(0);
    expect(worlds.sim.requests()).toHaveLength(0);
  });
});

describe('each adviser', () => {
  test('granted only when they hold no policy or ours; holding another: a warning with the Set line, no grant', async () => {
    const w = await worlds.world();
    const res = await script(w, {
      operators: [{ email: 'ada.adviser@uni.example.ac.uk' }, { email: 'nina.nopolicy@uni.example.ac.uk' }],
    });
    const lines = code(res.text);
    const fn = block(
      lines,
      /^function Grant-TargetconnectPolicy\(\[string\]\$ObjectId, \[string\]\$Label\) \{$/,
    );
    expect(fn[0]).toBe('$current = [string](Get-CsOnlineUser -Identity $ObjectId).ApplicationAccessPolicy');
    const grantBranch = block(
      lines,
      /^ {2}if \(\[string\]::IsNullOrEmpty\(\$current\) -or \$current -eq \$PolicyName\) \{$/,
    );
    expect(grantBranch).toEqual([
      'Grant-CsApplicationAccessPolicy -PolicyName $PolicyName -Identity $ObjectId',
    ]);
    const otherPolicy = block(lines, /^ {2}\} else \{$/);
    expect(otherPolicy.join(' ')).toContain('Write-Warning');
    expect(otherPolicy.join(' ')).toContain(
      "Set-CsApplicationAccessPolicy -Identity '$current' -AppIds @{Add='$AppId'}",
    );
    expect(otherPolicy.join(' ')).not.toContain('Grant-CsApplicationAccessPolicy');
    expect(lines.filter((l) => l.startsWith('Grant-TargetconnectPolicy'))).toEqual([
      `Grant-TargetconnectPolicy -ObjectId '${w.adviser.id}' -Label 'operator 0'`,
      `Grant-TargetconnectPolicy -ObjectId '${w.adviserNoPolicy.id}' -Label 'operator 1'`,
    ]);
  });

  test('what people typed stays in comments: no value can end a string or a comment, and unresolved advisers get no grant', async () => {
    const w = await worlds.world();
    const res = await script(w, {
      operators: [
        { email: "gone@uni.example.ac.uk'; Remove-Item -Recurse C:\\ #" },
        { email: 'x@uni.example.ac.uk\nRemove-Item -Recurse C:\\' },
        { staffId: '1' },
      ],
    });
    expect(res.status).toBe(200);
    const lines = code(res.text);
    expect(lines.join('\n')).not.toContain('Remove-Item');
    expect(lines.filter((l) => l.startsWith('Grant-TargetconnectPolicy'))).toEqual([]);
    expect(res.text).toMatch(/# {3}operator 0: not_found: email = gone@uni\.example\.ac\.uk'; Remove-Item/);
    expect(res.text).toMatch(/# {3}operator 1: not_found: email = x@uni\.example\.ac\.uk Remove-Item/);
    expect(res.text).toMatch(/# {3}operator 2: missing_field/);
    // Every single-quoted literal in code is a GUID, the policy name or the script's own text.
    const literals = lines.flatMap((l) => [...l.matchAll(/'([^']*)'/g)].map((m) => m[1]!));
    const own = new Set([
      'Stop',
      'TARGETconnect-Teams-Meetings',
      'TARGETconnect appointments',
      '$current',
      '$AppId',
    ]);
    expect(literals.filter((v) => !GUID.test(v) && !own.has(v) && !/^operator \d+$/.test(v))).toEqual([]);
  });
});

describe('a group of advisers', () => {
  test('granted with -Group and -Rank; the group id must be a GUID', async () => {
    const w = await worlds.world();
    const group = 'b9a7c6d5-1234-4abc-9def-0123456789ab';
    const res = await script(w, { groupId: group, rank: 2 });
    expect(res.status).toBe(200);
    expect(code(res.text)).toContain(
      `Grant-CsApplicationAccessPolicy -PolicyName $PolicyName -Group '${group}' -Rank 2`,
    );
    const bad = await script(w, { groupId: "x' -Global #" });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('body.groupId');
    const noRank = await script(w, { groupId: group });
    expect(code(noRank.text)).toContain(
      `Grant-CsApplicationAccessPolicy -PolicyName $PolicyName -Group '${group}' -Rank 1`,
    );
  });
});
