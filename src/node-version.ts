/**
 * The first thing every entry point does: refuse a Node older than 24 with one line saying what
 * to do, before any module loads a native addon (better-sqlite3's build for Node 24 crashes an
 * older Node with "Segmentation fault"). Imports nothing, so that nothing loads before it.
 */
export const REQUIRED_NODE_MAJOR = 24;

/** What is wrong with this Node for the service, or undefined when it is new enough. */
export function nodeVersionProblem(version: string = process.versions.node): string | undefined {
  const major = Number(version.split('.')[0]);
  if (major >= REQUIRED_NODE_MAJOR) return undefined;
  return (
    `teams-meetings needs Node ${REQUIRED_NODE_MAJOR} or newer; this is Node ${version}. ` +
    'Run `source .ci/node24.sh` in this shell (it installs Node 24 into .node24/ once and puts it on PATH), then try again.'
  );
}

/** Exits with the one line when this Node is too old. */
export function requireSupportedNode(): void {
  const problem = nodeVersionProblem();
  if (problem === undefined) return;
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}

requireSupportedNode();
