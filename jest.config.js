/** Projects: unit tests need no I/O; infra packages the service and reads its template;
 * integration tests talk to the services that scripts/test-services.sh starts (PostgreSQL
 * 15-18, MariaDB, moto server).
 *
 * The server matrix: the whole integration suite runs on PostgreSQL 15 with MariaDB, and on
 * PostgreSQL 17 (RDS's default major); the suites that exercise the engine through every entry
 * point (contract, custom resource, rotation, tagged secrets, versions, consent, the
 * audit) run on 16 and 18 too.
 * Each PostgreSQL project names its server, and its global setup checks that the server on
 * that port really is that major. */
// tsconfig.json sets isolatedModules: ts-jest then transpiles each file alone, without type checks.
const transform = { '^.+\\.ts$': ['ts-jest', {}] };

// Output of the code under test is shown only for a failing test (test/support/quiet-environment.js).
const testEnvironment = '<rootDir>/test/support/quiet-environment.js';

const integration = {
  transform,
  testEnvironment,
  globalSetup: '<rootDir>/test/integration/support/global-setup.ts',
  setupFiles: ['<rootDir>/test/integration/support/select-server.ts'],
};

// Suites that hold nothing PostgreSQL-specific to a major beyond what the others cover.
const MYSQL_ONLY = [
  '<rootDir>/test/integration/mysql-engine.test.ts',
  '<rootDir>/test/integration/audit-mysql-tls.test.ts',
];
const EVERY_MAJOR = [
  'engine-contract',
  'custom-resource-*',
  'rotation-*',
  'secret-events',
  'postgresql-versions',
  'consent',
  'audit-server',
  'audit-end-to-end',
].map((name) => `<rootDir>/test/integration/${name}.test.ts`);

function postgresProject(major, defaultPort, testMatch) {
  const port = Number(process.env[`DBAUTH_PG${major}_PORT`] ?? defaultPort);
  return {
    ...integration,
    displayName: `integration: PostgreSQL ${major}`,
    testMatch,
    testPathIgnorePatterns: MYSQL_ONLY,
    // Read by select-server.ts (the tests' environment) and global-setup.ts.
    globals: { dbauthServers: { postgres: { major, port }, mariadb: false } },
  };
}

module.exports = {
  // Global options: jest ignores them inside a project.
  testTimeout: 60000,
  // A green run prints the summary; a failure, its test and what that test printed.
  reporters: [['summary', {}]],
  projects: [
    { displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'], transform, testEnvironment },
    // The packaged template: runs `npm run package` (esbuild, osls), so not with the unit tests.
    { displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'], transform, testEnvironment },
    {
      ...integration,
      displayName: 'integration: PostgreSQL 15, MariaDB',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globals: {
        dbauthServers: {
          postgres: { major: 15, port: Number(process.env.DBAUTH_PG_PORT ?? 55432) },
          mariadb: true,
        },
      },
    },
    postgresProject(16, 55416, EVERY_MAJOR),
    postgresProject(17, 55417, ['<rootDir>/test/integration/**/*.test.ts']),
    postgresProject(18, 55418, EVERY_MAJOR),
  ],
};
