/**
 * Quoting for the setup scripts an admin pastes into PowerShell: what goes into code is checked
 * or quoted here, and what people typed goes only into comments, on one line.
 */
import { GUID_PATTERN } from '../guid';

/** A value safe inside a PowerShell comment: one line, no control characters. */
export function commentSafe(value: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ').slice(0, 200);
}

/** A GUID for a single-quoted PowerShell string: refused otherwise (it is never needed). */
export function guid(value: string, what: string): string {
  if (!GUID_PATTERN.test(value)) throw new Error(`${what} is not a GUID`);
  return value.toLowerCase();
}

/** A single-quoted literal, as PowerShell and OPATH filters both write it (quote doubled). */
export const singleQuoted = (text: string) => `'${text.replaceAll("'", "''")}'`;
