/**
 * Runs one simulator from the command line (`npm run simulator -- …`): seeded with the sandbox's
 * university unless told otherwise, it writes its CA certificate to a file (for
 * NODE_EXTRA_CA_CERTS), prints one JSON line with its URLs to stdout, and stops on SIGINT or
 * SIGTERM. `--help` says how.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxWorld } from '../fixtures/sandbox-world';
import { seedSimulator, type SimulatorSeed } from './seed';
import { startSimulator, type MicrosoftSimulator } from './simulator';

export interface CliOptions {
  port: number;
  host: string;
  caFile: string;
  /** A JSON world instead of the sandbox's university. */
  seedFile?: string;
  /** Start with no tenant at all. */
  empty?: boolean;
  help?: boolean;
}

export interface StartedCli {
  simulator: MicrosoftSimulator;
  /** What was printed: `{ url, authorityHost, graphBaseUrl, caFile, users }`. */
  info: { url: string; authorityHost: string; graphBaseUrl: string; caFile: string; users: number };
}

export const USAGE = `usage: npm run simulator -- [--port <n>] [--host <ip>] [--ca-file <path>] [--seed <world.json> | --empty]

The Microsoft simulator alone: Entra ID's token endpoint, Microsoft Graph (users, online meetings,
attendance) and the portal's certificate upload, over HTTPS with its own CA.

  --port <n>         port to listen on (default 0: a free one; the JSON line says which)
  --host <ip>        address to listen on (default 127.0.0.1)
  --ca-file <path>   where to write its CA certificate (default: microsoft-simulator-ca.pem in the
                     temporary directory); trust it with NODE_EXTRA_CA_CERTS or curl --cacert
  --seed <file>      a JSON world (tenants, apps with secrets and roles, users, access-policy grants;
                     the shape of SimulatorSeed in tools/microsoft-simulator/seed.ts) instead of the
                     sandbox's university
  --empty            start with no tenant, app or user at all
  --help             this text

Without --seed or --empty it holds the sandbox's university: tenant uni.ac.uk, app
c0ffee00-1d2e-4f3a-8b5c-6d7e8f9a0b1c with the README's secret, advisers and students.
It prints one JSON line: { url, authorityHost, graphBaseUrl, caFile, users }.`;

export function parseCliArgs(argv: string[]): CliOptions {
  const options: CliOptions = {
    port: 0,
    host: '127.0.0.1',
    caFile: join(tmpdir(), 'microsoft-simulator-ca.pem'),
  };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') {
      options.help = true;
      continue;
    }
    if (flag === '--empty') {
      options.empty = true;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
    i += 1;
    switch (flag) {
      case '--port': {
        const port = Number(value);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new Error(`--port: not a port: ${value}`);
        options.port = port;
        break;
      }
      case '--host':
        options.host = value;
        break;
      case '--ca-file':
        options.caFile = value;
        break;
      case '--seed':
        options.seedFile = value;
        break;
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  if (options.empty && options.seedFile) throw new Error(`--seed and --empty exclude each other\n${USAGE}`);
  return options;
}

/** Starts the simulator, seeds it, writes the CA file and prints the JSON line. */
export async function runCli(argv: string[], out: (line: string) => void): Promise<StartedCli> {
  const options = parseCliArgs(argv);
  const seed: SimulatorSeed | undefined = options.seedFile
    ? (JSON.parse(readFileSync(options.seedFile, 'utf8')) as SimulatorSeed)
    : options.empty
      ? undefined
      : sandboxWorld();
  const simulator = await startSimulator({ port: options.port, host: options.host });
  try {
    const users = seed ? seedSimulator(simulator, seed) : [];
    writeFileSync(options.caFile, simulator.caCertPem, { mode: 0o644 });
    const info = {
      url: simulator.url,
      authorityHost: simulator.authorityHost,
      graphBaseUrl: simulator.graphBaseUrl,
      caFile: options.caFile,
      users: users.length,
    };
    out(JSON.stringify(info));
    return { simulator, info };
  } catch (error) {
    await simulator.close();
    throw error;
  }
}

if (require.main === module) {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  runCli(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`)).then(
    ({ simulator }) => {
      const stop = (): void => {
        void simulator.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
