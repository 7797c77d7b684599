/**
 * Summarises a V8 `.cpuprofile` (from `npm run bench -- --profile`, in bench/profiles/):
 * self time by function and by package / source area, top N.
 * Usage: tsx bench/profile-summary.ts [file.cpuprofile] [--top 25]
 */
import fs from 'node:fs';
import path from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const dir = path.resolve(__dirname, 'profiles');
const arg = process.argv.find((a) => a.endsWith('.cpuprofile'));
const file =
  arg ??
  path.join(
    dir,
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort()
      .at(-1) ?? '',
  );
const topFlag = process.argv.indexOf('--top');
const top = topFlag > 0 ? Number(process.argv[topFlag + 1]) : 25;
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;

const self = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i += 1) {
  const id = profile.samples[i]!;
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const total = (profile.endTime - profile.startTime) / 1000;

function area(url: string): string {
  if (!url) return '(native/gc/idle)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return url;
  const d = /dist\/(.*)$/.exec(url);
  return d ? `service: ${d[1]}` : url;
}

const fnTotals = new Map<string, number>();
const areaTotals = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const { functionName, url, lineNumber } = n.callFrame;
  const key = `${functionName || '(anonymous)'} ${area(url)}:${lineNumber + 1}`;
  fnTotals.set(key, (fnTotals.get(key) ?? 0) + us);
  const a = functionName === '(idle)' ? '(idle)' : area(url);
  areaTotals.set(a, (areaTotals.get(a) ?? 0) + us);
}
const fmt = (m: Map<string, number>) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([k, us]) =>
        `${(us / 1000).toFixed(0).padStart(8)} ms ${((us / 1000 / total) * 100).toFixed(1).padStart(5)}%  ${k}`,
    )
    .join('\n');
process.stdout.write(
  `${file}: ${total.toFixed(0)} ms profiled\n\nSelf time by area:\n${fmt(areaTotals)}\n\nSelf time by function:\n${fmt(fnTotals)}\n`,
);
