/**
 * The doctor: the setup guide's checks for one partner, as a readable table, for the IT team.
 *
 *   npm run doctor -- --partner <id> [--operator <value> ...] [--url <service URL>]
 *   npm run doctor -- --all [--url <service URL>]
 *
 * With --url (or TEAMS_MEETINGS_URL) it asks a running service, authenticating with the admin key
 * from ADMIN_API_KEY (or --admin-key). Without, it runs the checks itself on this machine's
 * configuration (the service's environment or .env: DATABASE_URL, SECRETS_KEY, ...).
 * --all prints every partner as the daily setup watch last found it, worst first.
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
import type { PartnerStatus } from '../domain/setup/setup-watch';
import { createLogger } from '../logging/logger';

export interface DoctorArgs {
  partner: string;
  /** Every partner's status from the daily watch, instead of checking one now. */
  all: boolean;
  operators: string[];
  url: string | undefined;
  adminKey: string | undefined;
}

export const USAGE =
  'usage: npm run doctor -- --partner <id> [--operator <value> ...] [--url <service URL>] [--admin-key <key>]\n' +
  '       npm run doctor -- --all [--url <service URL>] [--admin-key <key>]';

const HELP = `${USAGE}

Runs the setup guide's checks for one partner and prints them by step, with what to fix.

  --partner <id>       the partner to check
  --all                every partner as the daily setup watch last found it, worst first (one
                       line each: the failing steps, the last Microsoft error, meetings in 7 days,
                       webhook events waiting)
  --operator <value>   an adviser, by the partner's operator match field (e.g. an email); repeat it
  --url <URL>          ask a running service (also TEAMS_MEETINGS_URL), with the admin key from
                       ADMIN_API_KEY or --admin-key; without it the checks run on this machine's
                       configuration (the service's environment or .env)

Example, against the sandbox (npm run sandbox prints this line with its key):
  ADMIN_API_KEY=<admin key> npm run doctor -- --url http://127.0.0.1:3000 --partner uni-example --operator ada.adviser@uni.ac.uk

Every partner, against the sandbox:
  ADMIN_API_KEY=<admin key> npm run doctor -- --url http://127.0.0.1:3000 --all

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
    all: false,
    operators: [],
    url: env.TEAMS_MEETINGS_URL || undefined,
    adminKey: undefined,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') throw new HelpRequested(HELP);
    if (flag === '--all') {
      args.all = true;
      continue;
    }
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
  if (args.all && (args.partner || args.operators.length > 0))
    throw new UsageError(`--all checks every partner: leave out --partner and --operator\n${USAGE}`);
  if (!args.partner && !args.all) throw new UsageError(`--partner or --all is required\n${USAGE}`);
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

/** One partner of `GET /partners?include=status`. */
export interface PartnerWithStatus {
  id: string;
  status: PartnerStatus;
}

const RANK: Record<PartnerStatus['overall'], number> = { fail: 0, warn: 1, unchecked: 2, pass: 3, skip: 3 };

/** The fleet as a table, worst first (then by name): what ops reads to know which university to call. */
export function formatFleet(partners: PartnerWithStatus[]): string {
  const sorted = [...partners].sort(
    (a, b) => RANK[a.status.overall] - RANK[b.status.overall] || a.id.localeCompare(b.id),
  );
  const rows = sorted.map((p) => {
    const s = p.status;
    const problems = (s.lastCheck?.steps ?? [])
      .flatMap((step) => step.problems.map((c) => `${step.step.split(' - ')[0]}: ${c.code ?? c.id}`))
      .filter((text, i, all) => all.indexOf(text) === i);
    return [
      p.id,
      s.overall.toUpperCase(),
      s.lastCheck ? s.lastCheck.checkedAt.slice(0, 16).replace('T', ' ') : 'never',
      problems.join(', ') || '-',
      s.lastMicrosoftError
        ? `${s.lastMicrosoftError.code} ${s.lastMicrosoftError.at.slice(0, 16).replace('T', ' ')}`
        : '-',
      String(s.meetingsLast7Days),
      String(s.webhookEventsWaiting),
    ];
  });
  const header = [
    'PARTNER',
    'STATUS',
    'LAST CHECK (UTC)',
    'PROBLEMS',
    'LAST MICROSOFT ERROR',
    'MEETINGS 7D',
    'EVENTS WAITING',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const failing = sorted.filter((p) => p.status.overall === 'fail').length;
  const warning = sorted.filter((p) => p.status.overall === 'warn').length;
  const unchecked = sorted.filter((p) => p.status.overall === 'unchecked').length;
  return [
    `teams-meetings doctor: ${partners.length} partner(s), worst first`,
    '',
    line(header),
    ...rows.map(line),
    '',
    `Result: ${failing} failing, ${warning} with warnings, ${unchecked} not checked yet. ` +
      'Details of one: npm run doctor -- --partner <id> (checks it now).',
    '',
  ].join('\n');
}

export function fleetExitCode(partners: PartnerWithStatus[]): number {
  if (partners.some((p) => p.status.overall === 'fail')) return 1;
  if (partners.some((p) => p.status.overall === 'warn')) return 2;
  return 0;
}

function serviceClient(args: DoctorArgs) {
  if (!args.adminKey) {
    throw new UsageError(
      `--url needs the service's admin key: set ADMIN_API_KEY (or pass --admin-key), e.g. ADMIN_API_KEY=<admin key> npm run doctor -- --url ${args.url} ${args.all ? '--all' : `--partner ${args.partner}`}`,
    );
  }
  return axios.create({
    baseURL: args.url!.replace(/\/+$/, ''),
    timeout: 60_000,
    headers: { authorization: `Bearer ${args.adminKey}` },
    validateStatus: () => true,
  });
}

function unreachable(args: DoctorArgs) {
  return (error: unknown): never => {
    const code = (error as { code?: string }).code ?? (error as Error).message;
    throw new UsageError(
      `Could not reach ${args.url} (${code}): is the service (or npm run sandbox) running there?`,
    );
  };
}

async function fleetViaService(args: DoctorArgs): Promise<PartnerWithStatus[]> {
  const res = await serviceClient(args).get('/partners?include=status').catch(unreachable(args));
  if (res.status !== 200) throw new Error(problemText(res.status, res.data));
  return (res.data as { partners: PartnerWithStatus[] }).partners;
}

async function fleetOnThisMachine(): Promise<PartnerWithStatus[]> {
  const { services, store } = await composeHere();
  try {
    const statuses = await services.partnerStatus.all();
    return (await services.partners.list()).map((p) => ({ id: p.id, status: statuses.get(p.id)! }));
  } finally {
    services.close();
    await store.close();
  }
}

async function composeHere() {
  let config: Config;
  try {
    config = loadConfig(environment());
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`${error.message}\n${HOW_TO_RUN}`);
    throw error;
  }
  return compose(config, { logger: createLogger('error', process.stderr) });
}

async function viaService(args: DoctorArgs): Promise<VerifyResult> {
  const client = serviceClient(args);
  const id = encodeURIComponent(args.partner);
  const reach = unreachable(args);
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
  const { services, store } = await composeHere();
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
  if (args.all) {
    const fleet = args.url ? await fleetViaService(args) : await fleetOnThisMachine();
    out(formatFleet(fleet));
    return fleetExitCode(fleet);
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
