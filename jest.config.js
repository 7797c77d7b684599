/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
  testTimeout: 20000,
  // Node older than 24: one line saying what to do, not a segmentation fault in a worker.
  globalSetup: '<rootDir>/tests/support/node-version.ts',
  // Component tests start real HTTPS servers and SQLite files; two workers suit a 2-core machine.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/tests/support/summary-reporter.js'],
};
