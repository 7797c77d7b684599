/**
 * The service's entry point: configuration, store, app, listening, and a graceful shutdown on
 * SIGTERM/SIGINT (/health answers 503 for a grace period, then stop accepting, finish what is in
 * flight, close the store, exit 0).
 */
// First: a Node older than 24 is refused with one line before any native module loads.
import './node-version';
// Second: traces (when OTEL_EXPORTER_OTLP_ENDPOINT is set), before http, express and pg load.
import { tracing } from './telemetry/register';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from './api/app';
import { answerProtocolErrors } from './api/protocol-errors';
import { compose } from './composition-root';
import { ConfigError, environment, loadConfig, type Config } from './config/config';
import type { Store } from './domain/store.port';
import { createLogger, type Logger } from './logging/logger';
import { VERSION } from './version';

export interface RunningService {
  server: Server;
  url: string;
  store: Store;
  logger: Logger;
  /** Stops accepting, waits for requests in flight (up to the configured timeout), closes the store. */
  shutdown(reason: string): Promise<{ clean: boolean }>;
}

export async function start(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
): Promise<RunningService> {
  const { services, store } = await compose(config, {
    logger,
    // PostgreSQL dropped an idle connection (restart, failover): the pool reconnects on next use.
    onIdleError: (error) =>
      logger.warn({ err: { message: error.message } }, 'database connection lost; reconnecting on next use'),
  });
  const built = buildApp({
    services,
    logger,
    rateLimitPerMinute: config.rateLimitPerMinute,
    unauthenticatedLimitPerMinute: config.unauthenticatedLimitPerMinute,
    trustProxy: config.trustProxy,
    requestTimeoutMs: config.requestTimeoutMs,
  });
  const server = http.createServer({ requireHostHeader: false }, built.app);
  answerProtocolErrors(server, logger);
  server.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  // Slow clients must not hold sockets forever; keep-alive a little longer than typical proxies.
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  server.keepAliveTimeout = 65_000;
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ version: VERSION, url, store: store.engine, pid: process.pid }, 'teams-meetings listening');
  if (config.worker) {
    services.worker.start();
    logger.info('worker started: webhook deliveries, attendance looks, daily credential look');
  }
  logger.flush();

  let shuttingDown: Promise<{ clean: boolean }> | undefined;
  const shutdown = (reason: string) => {
    shuttingDown ??= (async () => {
      // Load balancers learn from /health (503) that this instance is going, while it still
      // serves what they send meanwhile; only then does the listener close.
      built.startDraining();
      logger.info({ reason, graceMs: config.shutdownGraceMs }, 'shutting down: /health answers 503');
      logger.flush();
      await new Promise((resolve) => setTimeout(resolve, config.shutdownGraceMs));
      logger.info('no new connections; finishing requests in flight');
      logger.flush();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs);
      });
      const outcome = await Promise.race([closed.then(() => 'closed' as const), timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        logger.warn(
          { timeoutMs: config.shutdownTimeoutMs },
          'requests still in flight at the deadline; closing them',
        );
        server.closeAllConnections();
      }
      // The worker's round in flight writes its outcomes before the store closes.
      await services.worker.stop();
      services.close();
      await store.close();
      logger.info({ clean: outcome === 'closed' }, 'stopped');
      logger.flush();
      return { clean: outcome === 'closed' };
    })();
    return shuttingDown;
  };

  return { server, url, store, logger, shutdown };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(environment());
  } catch (error) {
    if (error instanceof ConfigError) {
      // Every bad variable, one line each.
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const root = createLogger(config.logLevel);
  const logger = config.sandbox ? root.child({ sandbox: true }) : root;
  if (config.sandbox) {
    logger.warn(
      'SANDBOX MODE: Microsoft is simulated, keys and data are throwaway; not for real universities',
    );
  }
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    logger.flush();
    process.exit(1);
  });
  process.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, 'unhandled rejection');
    logger.flush();
    process.exit(1);
  });

  let service: RunningService;
  try {
    service = await start(config, logger);
  } catch (error) {
    const message =
      error instanceof ConfigError ? error.message : `Could not start: ${(error as Error).message}`;
    logger.fatal({ err: error }, message);
    logger.flush();
    process.stderr.write(`${message}\n`);
    process.exit(error instanceof ConfigError ? 78 : 1);
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void service.shutdown(signal).then(async ({ clean }) => {
        await flushTraces();
        logger.flush();
        process.exit(clean ? 0 : 1);
      });
    });
  }
}

/** The spans still buffered, sent before exit (at most 2 s: the collector may be down). */
async function flushTraces(): Promise<void> {
  if (!tracing) return;
  await Promise.race([tracing.shutdown().catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
}

if (require.main === module) void main();
