/**
 * The layering is held by `npm run lint` (eslint.config.mjs), not by memory: each forbidden
 * import is an error where it is forbidden, and the same import is fine where it belongs.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/**
 * ESLint with the project's own config, in a process of its own (its config is an ES module,
 * which jest's module sandbox cannot load): each case's `no-restricted-imports` messages.
 */
function lint(cases: Array<[string, string]>): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const path = require('node:path');
    const cases = JSON.parse(process.argv[1]);
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const [file, code] of cases) {
        const [result] = await eslint.lintText(code, { filePath: path.join(process.cwd(), file) });
        out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })();`;
  const out = execFileSync(process.execPath, ['-e', script, JSON.stringify(cases)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[][];
}

const use = (name: string) => `\nexport const x = ${name};\n`;

const REFUSED: Array<[string, string]> = [
  ['src/domain/meetings/x.ts', `import express from 'express';${use('express')}`],
  ['src/domain/meetings/x.ts', `import axios from 'axios';${use('axios')}`],
  ['src/domain/partners/x.ts', `import { Pool } from 'pg';${use('Pool')}`],
  ['src/domain/partners/x.ts', `import Database from 'better-sqlite3';${use('Database')}`],
  [
    'src/domain/x.ts',
    `import { PublicClientApplication } from '@azure/msal-node';${use('PublicClientApplication')}`,
  ],
  [
    'src/domain/meetings/x.ts',
    `import { SqliteStore } from '../../data-access/sqlite/sqlite-store';${use('SqliteStore')}`,
  ],
  [
    'src/domain/meetings/x.ts',
    `import { realClock } from '../../integrations/microsoft/retry-policy';${use('realClock')}`,
  ],
  ['src/api/routes/x.ts', `import { openStore } from '../../data-access/open-store';${use('openStore')}`],
  ['src/main.ts', `import { startSimulator } from '../tools/microsoft-simulator';${use('startSimulator')}`],
  ['src/config/x.ts', `import { makeHarness } from '../../tests/support/harness';${use('makeHarness')}`],
];

const ALLOWED: Array<[string, string]> = [
  ['src/data-access/sqlite/x.ts', `import Database from 'better-sqlite3';${use('Database')}`],
  ['src/api/routes/x.ts', `import { Router } from 'express';${use('Router')}`],
  ['src/domain/meetings/x.ts', `import { systemClock } from '../../clock';${use('systemClock')}`],
  ['src/composition-root.ts', `import { openStore } from './data-access/open-store';${use('openStore')}`],
];

test('each forbidden import is an error where it is forbidden, and fine where it belongs', () => {
  const cases = [...REFUSED, ...ALLOWED];
  const results = lint(cases);
  const verdict = ([file, code]: [string, string], count: number) =>
    `${file}: ${code.split('\n')[0]} → ${count}`;
  expect(cases.map((c, i) => verdict(c, results[i]!.length))).toEqual([
    ...REFUSED.map((c) => verdict(c, 1)),
    ...ALLOWED.map((c) => verdict(c, 0)),
  ]);
}, 30_000);
