/**
 * The doctor: the setup guide's checks for one partner, as a readable table, for the IT team.
 *
 *   npm run doctor -- --partner <id> [--operator <value> ...] [--url <service URL>]
 *
 * With --url (or TEAMS_MEETINGS_URL) it asks a running service, authenticating with the admin key
 * from ADMIN_API_KEY (or --admin-key). Without, it runs the checks itself on this machine's
 * configuration (the service's environment or .env: DATABASE_URL, SECRETS_KEY, ...).
 * Exit code: 0 every check passed (or was skipped), 1 a check failed, 2 only warnings, 3 the
 * doctor could not run.
 */
// First: a Node older than 24 is refused with one line before any native module loads.
import '../node-version';
import axios from 'axios';
import { compose } from '../composition-root';
import { ConfigError, environment, loadConfig, type Config } from '../config/config';
import { SETUP_STEPS } from '../domain/setup/setup-guide';
import type { SetupCheck, VerifyResult } from '../domain/setup/setup-diagnostics.service';
import { createLogger } from '../logging/logger';

export interface DoctorArgs {
  partner: string;
  operators: string[];
  url: string | undefined;
  adminKey: string | undefined;
}

export const USAGE =
  'usage: npm run doctor -- --partner <id> [--operator <value> ...] [--url <service URL>] [--admin-key <key>]';

const HELP = `${USAGE}

Runs the setup guide's checks for one partner and prints them by step, with what to fix.

  --partner <id>       the partner to check (required)
  --operator <value>   an adviser, by the partner's operator match field (e.g. an email); repeat it
  --url <URL>          ask a running service (also TEAMS_MEETINGS_URL), with the admin key from
                       ADMIN_API_KEY or --admin-key; without it the checks run on this machine's
                       configuration (the service's environment or .env)

Example, against the sandbox (npm run sandbox prints this line with its key):
  ADMIN_API_KEY=<admin key> npm run doctor -- --url http://127.0.0.1:3000 --partner uni-example --operator ada.adviser@uni.ac.uk

Exit code: 0 every check passed, 1 a check failed, 2 warnings only, 3 the doctor could not run.
`;

/** How to point the doctor at something it can check, for every "could not run" message. */
const HOW_TO_RUN =
  'Ask a running service with --url <service URL> and its admin key in ADMIN_API_KEY (e.g. ADMIN_API_KEY=<admin key> npm run doctor -- --url http://127.0.0.1:3000 --partner <id>), ' +
  "or run on this machine's configuration with the service's variables set (DATABASE_URL, ADMIN_API_KEY, SECRETS_KEY, in the environment or .env).";

export class UsageError extends Error {}

/** `--help`: the caller prints HELP to stdout and exits 0. */
export class HelpRequested extends Error {}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): DoctorArgs {
  const args: DoctorArgs = {
    partner: '',
    operators: [],
    url: env.TEAMS_MEETINGS_URL || undefined,
    adminKey: undefined,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') throw new HelpRequested(HELP);
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--'))
      throw new UsageError(`${flag} needs a value\n${USAGE}`);
    i += 1;
    if (flag === '--partner') args.partner = value;
    else if (flag === '--operator') args.operators.push(value);
    else if (flag === '--url') args.url = value;
    else if (flag === '--admin-key') args.adminKey = value;
    else throw new UsageError(`unknown option ${flag}\n${USAGE}`);
  }
  if (!args.partner) throw new UsageError(`--partner is required\n${USAGE}`);
  args.adminKey ??= env.ADMIN_API_KEY || undefined;
  return args;
}

const MARKS: Record<SetupCheck['status'], string> = {
  pass: '✔ PASS',
  warn: '! WARN',
  fail: '✖ FAIL',
  skip: '- SKIP',
};

/** The checklist as a person reads it: by step, a mark per check, the remediation under problems. */
export function formatReport(result: VerifyResult): string {
  const lines = [`teams-meetings doctor: partner ${result.partnerId}`, ''];
  for (const step of Object.values(SETUP_STEPS)) {
    const checks = result.checks.filter((c) => c.step === step);
    if (checks.length === 0) continue;
    lines.push(step);
    const width = Math.max(...checks.map((c) => c.id.length));
    for (const c of checks) {
      lines.push(`  ${MARKS[c.status]}  ${c.id.padEnd(width)}  ${c.detail}`);
      if (c.remediation && (c.status === 'fail' || c.status === 'warn')) {
        for (const line of c.remediation.split('\n')) lines.push(`          ${' '.repeat(width)}  → ${line}`);
      }
    }
    lines.push('');
  }
  const failed = result.checks.filter((c) => c.status === 'fail').length;
  const warned = result.checks.filter((c) => c.status === 'warn').length;
  lines.push(
    failed > 0
      ? `Result: ${failed} check(s) failed${warned ? `, ${warned} warning(s)` : ''}. Fix them in order, then run the doctor again.`
      : warned > 0
        ? `Result: no failure, ${warned} warning(s).`
        : 'Result: every check passed.',
  );
  return `${lines.join('\n')}\n`;
}

export function exitCodeOf(result: VerifyResult): number {
  if (result.checks.some((c) => c.status === 'fail')) return 1;
  if (result.checks.some((c) => c.status === 'warn')) return 2;
  return 0;
}

async function viaService(args: DoctorArgs): Promise<VerifyResult> {
  if (!args.adminKey) {
    throw new UsageError(
      `--url needs the service's admin key: set ADMIN_API_KEY (or pass --admin-key), e.g. ADMIN_API_KEY=<admin key> npm run doctor -- --url ${args.url} --partner ${args.partner}`,
    );
  }
  const client = axios.create({
    baseURL: args.url!.replace(/\/+$/, ''),
    timeout: 60_000,
    headers: { authorization: `Bearer ${args.adminKey}` },
    validateStatus: () => true,
  });
  const id = encodeURIComponent(args.partner);
  const reach = (error: unknown): never => {
    const code = (error as { code?: string }).code ?? (error as Error).message;
    throw new UsageError(
      `Could not reach ${args.url} (${code}): is the service (or npm run sandbox) running there?`,
    );
  };
  let operators: Array<Record<string, string>> = [];
  if (args.operators.length > 0) {
    const partner = await client.get(`/partners/${id}`).catch(reach);
    if (partner.status !== 200) throw new Error(problemText(partner.status, partner.data));
    const field = (partner.data as { operatorLocalMatchField: string }).operatorLocalMatchField;
    operators = args.operators.map((value) => ({ [field]: value }));
  }
  const res = await client.post(`/partners/${id}/verify`, { operators }).catch(reach);
  if (res.status !== 200) throw new Error(problemText(res.status, res.data));
  return res.data as VerifyResult;
}

async function onThisMachine(args: DoctorArgs): Promise<VerifyResult> {
  let config: Config;
  try {
    config = loadConfig(environment());
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`${error.message}\n${HOW_TO_RUN}`);
    throw error;
  }
  const { services, store } = await compose(config, { logger: createLogger('error', process.stderr) });
  try {
    const partner = await services.partners.get(args.partner);
    const operators = args.operators.map((value) => ({ [partner.operatorLocalMatchField]: value }));
    return await services.diagnostics.verify(args.partner, operators);
  } finally {
    services.close();
    await store.close();
  }
}

function problemText(status: number, body: unknown): string {
  const problem = body as { code?: string; detail?: string } | undefined;
  return `The service answered ${status}${problem?.code ? ` ${problem.code}` : ''}${problem?.detail ? `: ${problem.detail}` : ''}`;
}

export async function runDoctor(argv: string[], out: (text: string) => void): Promise<number> {
  let args: DoctorArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof HelpRequested)) throw error;
    out(error.message);
    return 0;
  }
  const result = args.url ? await viaService(args) : await onThisMachine(args);
  out(formatReport(result));
  return exitCodeOf(result);
}

if (require.main === module) {
  runDoctor(process.argv.slice(2), (text) => process.stdout.write(text)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`doctor: ${message}\n`);
      process.exit(3);
    },
  );
}
