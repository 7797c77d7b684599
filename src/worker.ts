/**
 * The worker alone, for a deployment that runs it apart from the HTTP servers (`WORKER=off` on
 * those): webhook deliveries, attendance looks and the daily credential look, from the same
 * environment as `npm start`. Several may run against one PostgreSQL store; each attempt is sent
 * by one of them. SIGTERM/SIGINT finish the round in flight, then close the store.
 */
import './node-version';
// Second: traces (when OTEL_EXPORTER_OTLP_ENDPOINT is set), before http, express and pg load.
import { tracing } from './telemetry/register';
import { compose } from './composition-root';
import { ConfigError, environment, loadConfig, type Config } from './config/config';
import { createLogger } from './logging/logger';
import { VERSION } from './version';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(environment());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel).child({ role: 'worker' });
  const { services, store } = await compose(config, { logger });
  services.worker.start();
  logger.info({ version: VERSION, store: store.engine, pid: process.pid }, 'teams-meetings worker started');
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void (async () => {
        logger.info({ reason: signal }, 'worker stopping: finishing the round in flight');
        await services.worker.stop();
        services.close();
        await store.close();
        if (tracing) {
          await Promise.race([
            tracing.shutdown().catch(() => undefined),
            new Promise((r) => setTimeout(r, 2000)),
          ]);
        }
        logger.info('worker stopped');
        logger.flush();
        process.exit(0);
      })();
    });
  }
}

if (require.main === module) void main();
