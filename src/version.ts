import fs from 'node:fs';
import path from 'node:path';

/** The package version, read once: from `src/` under ts-jest and from `dist/` when built. */
export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();
