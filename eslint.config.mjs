import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layering (README, "Layout"): dependencies point inward, held here rather than by memory.
// Each part of src names what it may not import; a later block for the same files replaces the
// rule, so every block lists its whole set.
const TOOLS_AND_TESTS = [
  { group: ['**/tools/**', '**/tests/**'], message: 'The product never imports the tools or the tests.' },
];
const INFRASTRUCTURE = [
  'express',
  'axios',
  'pg',
  'better-sqlite3',
  '@azure/msal-node',
  'pino',
  'prom-client',
];
const layer = (files, patterns, paths = []) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: paths.map((name) => ({
          name,
          message: `${name} is infrastructure: the domain talks to its ports.`,
        })),
        patterns: [...patterns, ...TOOLS_AND_TESTS],
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-tools/**',
      '.node24/**',
      'node_modules/**',
      'data/**',
      'coverage/**',
      'bench/builds/**',
      'bench/profiles/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  layer(['src/**/*.ts'], []),
  layer(
    ['src/domain/**/*.ts'],
    [
      {
        group: ['**/api/**', '**/data-access/**', '**/integrations/**', '**/composition-root'],
        message: 'The domain sees no HTTP, SQL or Microsoft client: it defines ports (*.port.ts).',
      },
    ],
    INFRASTRUCTURE,
  ),
  layer(
    ['src/api/**/*.ts'],
    [
      {
        group: ['**/data-access/**', '**/integrations/**'],
        message: 'The HTTP layer reaches the store and Microsoft only through the domain services.',
      },
    ],
  ),
  layer(
    ['src/data-access/**/*.ts'],
    [{ group: ['**/api/**', '**/integrations/**'], message: 'A store knows neither HTTP nor Microsoft.' }],
  ),
  layer(
    ['src/integrations/**/*.ts'],
    [
      {
        group: ['**/api/**', '**/data-access/**'],
        message: 'The Microsoft side knows neither HTTP routes nor the store.',
      },
    ],
  ),
  {
    files: ['tools/**/*.ts', 'src/cli/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: { module: 'writable', require: 'readonly', process: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
