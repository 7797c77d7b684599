/**
 * deploy/: what ops load, held to the service as it is. Prometheus's own `promtool` checks and
 * unit-tests the alert rules; every metric the rules and the Grafana dashboard name is on the
 * service's /metrics; the Kubernetes manifests and the Compose trial parse, wire what they claim
 * (probes, grace periods, selectors, the worker apart) and give the service a configuration its
 * own loader accepts. No cluster or Docker engine runs here: the images are not built.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/config';
import { parseCliArgs } from '../../tools/microsoft-simulator/main';
import { makeHarness, type Harness } from '../support/harness';
import { DEPLOYED_NODE_ARGS } from '../../bench/support';

const ROOT = path.join(__dirname, '..', '..');
const DEPLOY = path.join(ROOT, 'deploy');
const read = (file: string) => fs.readFileSync(path.join(DEPLOY, file), 'utf8');
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

let h: Harness;
let exposed: Set<string>;
beforeAll(async () => {
  h = makeHarness();
  // One request of each kind, so that labelled series exist as well as their HELP lines.
  await h.request.get('/health');
  await h.request.get('/partners').set('Authorization', 'Bearer wrong');
  const text = (await h.request.get('/metrics').set('Authorization', h.admin)).text;
  exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
});
afterAll(async () => {
  await h.close();
});

/** The metric names in a PromQL expression (ours all start teams_meetings_). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\bteams_meetings_[a-z0-9_]+/g)].map((m) =>
    m[0].replace(/_(bucket|sum|count)$/, ''),
  );
}

describe('Prometheus alert rules', () => {
  test('promtool checks the rules and passes their unit tests', () => {
    const run = (...args: string[]) =>
      execFileSync(PROMTOOL, args, { cwd: path.join(DEPLOY, 'prometheus'), encoding: 'utf8' });
    expect(run('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: 7 rules found/);
    expect(run('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
  });

  test('every alert names only metrics the service exposes, and has a test', () => {
    const groups = (
      parse(read('prometheus/alerts.yml')) as {
        groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
      }
    ).groups;
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'TeamsMeetingsCreatesFailing',
      'TeamsMeetingsGraphThrottled',
      'TeamsMeetingsHealthDegraded',
      'TeamsMeetingsPartnerSetupFailing',
      'TeamsMeetingsRedisDown',
      'TeamsMeetingsWebhookBacklog',
      'TeamsMeetingsWebhookDeliveriesFailing',
    ]);
    const unknown = rules.flatMap((r) => metricsIn(r.expr)).filter((m) => !exposed.has(m));
    expect(unknown).toEqual([]);
    const tests = read('prometheus/alerts.test.yml');
    expect(rules.filter((r) => !tests.includes(`alertname: ${r.alert}`)).map((r) => r.alert)).toEqual([]);
  });
});

describe('Grafana dashboard', () => {
  test('is a dashboard of panels whose queries name only metrics the service exposes', () => {
    const dashboard = JSON.parse(read('grafana/teams-meetings.json')) as {
      uid: string;
      panels: Array<{ id: number; title: string; targets: Array<{ expr: string }> }>;
      templating: { list: Array<{ name: string; type: string }> };
    };
    expect(dashboard.uid).toBe('teams-meetings');
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource' }),
    );
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(dashboard.panels.length);
    expect(exprs.flatMap(metricsIn).filter((m) => !exposed.has(m))).toEqual([]);
    // Each alert's metric is on the dashboard too: what pages someone can be looked at.
    const onDashboard = new Set(exprs.flatMap(metricsIn));
    const alerted = metricsIn(read('prometheus/alerts.yml'));
    expect(alerted.filter((m) => !onDashboard.has(m))).toEqual([]);
  });
});

interface Container {
  args: string[];
  env?: Array<{ name: string; value: string }>;
  envFrom?: unknown[];
  readinessProbe?: { httpGet?: { path: string; port: string } };
  livenessProbe?: { httpGet?: unknown; tcpSocket?: unknown };
  ports?: Array<{ name: string; containerPort: number }>;
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> } | Record<string, string>;
    template?: {
      metadata: { labels: Record<string, string> };
      spec: { terminationGracePeriodSeconds: number; containers: Container[] };
    };
  };
}

describe('Kubernetes manifests', () => {
  const docs = parseAllDocuments(read('kubernetes/teams-meetings.yaml')).map((d) => d.toJS() as Manifest);
  const byName = (kind: string, name: string) =>
    docs.find((d) => d.kind === kind && d.metadata.name === name)!;
  const api = byName('Deployment', 'teams-meetings');
  const worker = byName('Deployment', 'teams-meetings-worker');
  const envOf = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));

  test('the HTTP instances: ready on /health, grace beyond SHUTDOWN_GRACE_MS + SHUTDOWN_TIMEOUT_MS, worker off', () => {
    const pod = api.spec.template!;
    const container = pod.spec.containers[0]!;
    expect(container.readinessProbe?.httpGet?.path).toBe('/health');
    // Liveness must not follow /health: a database outage (503) would restart every pod.
    expect(container.livenessProbe?.httpGet).toBeUndefined();
    expect(container.args).toEqual(['node', ...DEPLOYED_NODE_ARGS, 'dist/main.js']);
    const env = envOf(container);
    expect(env.WORKER).toBe('off');
    const config = loadConfig({ ...baseEnv(), ...env });
    expect(pod.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      config.shutdownGraceMs + config.shutdownTimeoutMs,
    );
    expect(Number(env.PORT)).toBe(container.ports![0]!.containerPort);
    expect(api.spec.replicas).toBeGreaterThanOrEqual(2);
  });

  test('the worker runs apart, from the built worker entry point', () => {
    const container = worker.spec.template!.spec.containers[0]!;
    expect(container.args).toEqual(['node', ...DEPLOYED_NODE_ARGS, 'dist/worker.js']);
    expect(fs.existsSync(path.join(ROOT, 'dist', 'worker.js'))).toBe(true);
    expect(envOf(container).WORKER).toBe('on');
    expect(worker.spec.template!.spec.terminationGracePeriodSeconds).toBeGreaterThan(10);
  });

  test('the Service and the PodDisruptionBudget select the HTTP pods, not the worker', () => {
    const apiLabels = api.spec.template!.metadata.labels;
    const workerLabels = worker.spec.template!.metadata.labels;
    const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    const service = byName('Service', 'teams-meetings').spec.selector as Record<string, string>;
    const pdb = (
      byName('PodDisruptionBudget', 'teams-meetings').spec.selector as { matchLabels: Record<string, string> }
    ).matchLabels;
    for (const selector of [service, pdb]) {
      expect(selects(selector, apiLabels)).toBe(true);
      expect(selects(selector, workerLabels)).toBe(false);
    }
  });
});

/** What the Secret would hold: the variables without which the service refuses to start. */
function baseEnv(): Record<string, string> {
  return {
    ADMIN_API_KEY: 'a-deployment-admin-key-0123456789abcdef',
    SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
    DATABASE_URL: 'postgres://teams@db.internal:5432/teams_meetings',
  };
}

describe('docker compose trial', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<
      string,
      {
        environment?: Record<string, string>;
        command?: string[];
        network_mode?: string;
        build?: { target?: string };
        ports?: string[];
      }
    >;
  };
  const services = compose.services;

  test('PostgreSQL, Redis, the simulator, two HTTP instances and a worker', () => {
    expect(Object.keys(services).sort()).toEqual([
      'api-1',
      'api-2',
      'postgres',
      'redis',
      'simulator',
      'worker',
    ]);
    expect(services['worker']!.command).toEqual(['node', ...DEPLOYED_NODE_ARGS, 'dist/worker.js']);
    for (const name of ['api-1', 'api-2']) expect(services[name]!.environment!.WORKER).toBe('off');
    const ports = ['api-1', 'api-2'].map((n) => services[n]!.environment!.PORT);
    expect(new Set(ports).size).toBe(2);
    for (const port of ports) expect(services['simulator']!.ports).toContain(`127.0.0.1:${port}:${port}`);
  });

  test("each instance's environment is one the service's own loader accepts: PostgreSQL, Redis, the simulator", () => {
    for (const name of ['api-1', 'api-2', 'worker']) {
      const { NODE_EXTRA_CA_CERTS: ca, ...env } = services[name]!.environment!;
      // The CA file exists only inside the trial (the simulator writes it at its start).
      expect(ca).toBe('/ca/simulator-ca.pem');
      const config = loadConfig(env);
      expect(config.database).toMatchObject({ kind: 'postgres' });
      expect(config.redisUrl).toBe('redis://redis:6379');
      expect(services[name]!.network_mode).toBe('service:simulator');
    }
  });

  test("the simulator stage exists in the Dockerfile and its command is one the simulator's CLI accepts", () => {
    expect(services['simulator']!.build!.target).toBe('simulator');
    const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM \S+ AS simulator$/m);
    const cmd = JSON.parse(/AS simulator[\s\S]*?^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(cmd.slice(0, 2)).toEqual(['node', 'dist-tools/microsoft-simulator/main.js']);
    expect(parseCliArgs(cmd.slice(2))).toMatchObject({
      host: '127.0.0.1',
      port: 8443,
      caFile: '/ca/simulator-ca.pem',
    });
    const url = new URL(services['api-1']!.environment!.AZURE_AUTHORITY_HOST!);
    expect(url.host).toBe('127.0.0.1:8443');
    // The production image is still the last stage (what `docker build .` makes).
    expect(
      dockerfile
        .trimEnd()
        .split('\n')
        .filter((l) => l.startsWith('FROM '))
        .at(-1),
    ).toMatch(/^FROM node:\S+$/);
  });
});

test('the image, npm start, the manifests and the benchmark start Node with the same flags', () => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const cmd = JSON.parse(
    /^CMD (\[.*\])$/m.exec(dockerfile.slice(dockerfile.lastIndexOf('\nFROM ')))![1]!,
  ) as string[];
  expect(cmd).toEqual(['node', ...DEPLOYED_NODE_ARGS, 'dist/main.js']);
  const start = (
    JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts['start'];
  expect(start).toBe(['node', ...DEPLOYED_NODE_ARGS, 'dist/main.js'].join(' '));
  // Each flag is one this Node takes.
  for (const flag of DEPLOYED_NODE_ARGS) {
    expect(
      execFileSync(process.execPath, [flag, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' }),
    ).toBe('ok');
  }
});
