/** Two projects: unit tests need no I/O; integration tests talk to the services that
 * scripts/test-services.sh starts (PostgreSQL, MariaDB, moto server). */
const transform = { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] };

module.exports = {
  // A global option: jest ignores it inside a project.
  testTimeout: 60000,
  projects: [
    { displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'], transform },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      transform,
      globalSetup: '<rootDir>/test/integration/support/global-setup.ts',
    },
  ],
};
