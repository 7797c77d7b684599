/**
 * The production build and image carry the service only: no simulator, no sandbox, no fixture,
 * and none of the packages only those tools need. `npm test` builds first (pretest).
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [path.relative(ROOT, full)];
  });
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from|import|require\()\s*'([^']+)'/g)].map((m) => m[1]!);
}

describe('the production build', () => {
  it('holds the service and none of the development tools', () => {
    const built = filesUnder(path.join(ROOT, 'dist'));
    expect(built).toContain(path.join('dist', 'main.js'));
    expect(built).toContain(path.join('dist', 'cli', 'doctor.js'));
    expect(built.filter((f) => /simulator|sandbox|fixtures/i.test(f))).toEqual([]);
  });

  it('is built from sources that import nothing from the tools or the tests', () => {
    const sources = filesUnder(path.join(ROOT, 'src')).filter((f) => f.endsWith('.ts'));
    expect(sources.length).toBeGreaterThan(20);
    const offending = sources.flatMap((file) =>
      importsOf(file)
        .filter((spec) => /(^|\/)(tools|tests|bench)(\/|$)/.test(spec))
        .map((spec) => `${file} imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it('depends at run time only on packages the service itself imports', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies)).not.toContain('node-forge');
    expect(Object.keys(pkg.devDependencies)).toContain('node-forge');
    const imported = new Set(
      filesUnder(path.join(ROOT, 'src'))
        .filter((f) => f.endsWith('.ts'))
        .flatMap(importsOf)
        .filter((spec) => !spec.startsWith('.') && !spec.startsWith('node:'))
        .map((spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!)),
    );
    expect(Object.keys(pkg.dependencies).filter((dep) => !imported.has(dep))).toEqual([]);
  });

  it('keeps the tools in a build of their own', () => {
    const tools = filesUnder(path.join(ROOT, 'dist-tools'));
    expect(tools).toContain(path.join('dist-tools', 'microsoft-simulator', 'main.js'));
    expect(tools).toContain(path.join('dist-tools', 'sandbox', 'sandbox.js'));
  });
});
