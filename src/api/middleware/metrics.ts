/**
 * Request count and latency by route template and status, for Prometheus.
 */
import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram, collectDefaultMetrics, Registry } from 'prom-client';
import { routeLabel } from './access-log';

export interface HttpMetrics {
  registry: Registry;
  middleware: (req: Request, res: Response, next: NextFunction) => void;
}

export function createHttpMetrics(registry: Registry = new Registry()): HttpMetrics {
  collectDefaultMetrics({ register: registry, prefix: 'teams_meetings_' });
  const requests = new Counter({
    name: 'teams_meetings_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'teams_meetings_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const problems = new Counter({
    name: 'teams_meetings_http_problems_total',
    help: 'Problem answers (4xx and 5xx), by method, route template and the problem code.',
    labelNames: ['method', 'route', 'code'] as const,
    registers: [registry],
  });
  // One labelled child per method, route template and status (a bounded set), found by one map
  // look-up: prom-client hashes the label object on every inc/observe otherwise.
  const children = new Map<string, { count: () => void; time: (seconds: number) => void }>();
  const childFor = (method: string, route: string, status: string) => {
    const id = `${method} ${route} ${status}`;
    let child = children.get(id);
    if (!child) {
      const counter = requests.labels(method, route, status);
      const histogram = duration.labels(method, route, status);
      child = { count: () => counter.inc(), time: (seconds) => histogram.observe(seconds) };
      children.set(id, child);
    }
    return child;
  };
  return {
    registry,
    middleware: (req, res, next) => {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const child = childFor(req.method, routeLabel(req), String(res.statusCode));
        child.count();
        child.time(Number(process.hrtime.bigint() - started) / 1e9);
        const code = res.locals.problemCode as string | undefined;
        if (code !== undefined) problems.inc({ method: req.method, route: routeLabel(req), code });
      });
      next();
    },
  };
}
