/**
 * Runs one simulator from the command line (the sandbox starts it this way):
 *
 *   node dist-tools/microsoft-simulator/main.js [--port 0] [--host 127.0.0.1]
 *        [--ca-file <path>] [--seed <world.json>]
 *
 * It writes its CA certificate to the file (for NODE_EXTRA_CA_CERTS), prints one JSON line with
 * its URLs to stdout, and stops on SIGINT or SIGTERM.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedSimulator, type SimulatorSeed } from './seed';
import { startSimulator, type MicrosoftSimulator } from './simulator';

export interface CliOptions {
  port: number;
  host: string;
  caFile: string;
  seedFile?: string;
}

export interface StartedCli {
  simulator: MicrosoftSimulator;
  /** What was printed: `{ url, authorityHost, graphBaseUrl, caFile, users }`. */
  info: { url: string; authorityHost: string; graphBaseUrl: string; caFile: string; users: number };
}

const USAGE = 'usage: main [--port <n>] [--host <ip>] [--ca-file <path>] [--seed <json file>]';

export function parseCliArgs(argv: string[]): CliOptions {
  const options: CliOptions = {
    port: 0,
    host: '127.0.0.1',
    caFile: join(tmpdir(), 'microsoft-simulator-ca.pem'),
  };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
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
  return options;
}

/** Starts the simulator, seeds it, writes the CA file and prints the JSON line. */
export async function runCli(argv: string[], out: (line: string) => void): Promise<StartedCli> {
  const options = parseCliArgs(argv);
  const seed = options.seedFile
    ? (JSON.parse(readFileSync(options.seedFile, 'utf8')) as SimulatorSeed)
    : undefined;
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
