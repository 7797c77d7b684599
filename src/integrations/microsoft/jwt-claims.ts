/** Reading claims of tokens the service holds (not validating them: they are Entra's to check). */
/** One claim of a JWT, without checking it: diagnostics only (it is not our token to validate). */
export function decodeClaim(token: string, name: string): unknown {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>)[name];
  } catch {
    return undefined;
  }
}

/** The `roles` claim of a JWT, without checking it: diagnostics only (it is not our token to validate). */
export function decodeRoles(token: string): string[] {
  const payload = token.split('.')[1];
  if (payload === undefined) return [];
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown };
    return Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}
