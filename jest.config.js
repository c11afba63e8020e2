/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The build compiles lib/*.ts to lib/*.js beside them: tests run the TypeScript sources.
  moduleFileExtensions: ['ts', 'js', 'json', 'node'],
  // Type checking is `npm run typecheck`; tests only transpile, which keeps them fast.
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  collectCoverage: true,
  collectCoverageFrom: ['lib/**/*.ts', 'lambda/**/*.ts'],
  coverageReporters: ['text-summary', 'lcov'],
  coverageThreshold: { global: { lines: 90 } },
};
