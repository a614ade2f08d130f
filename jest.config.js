/** Two projects: unit tests need no I/O; integration tests talk to the services that
 * scripts/test-services.sh starts (PostgreSQL, MariaDB, moto server). */
const transform = { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] };

module.exports = {
  projects: [
    { displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'], transform },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      transform,
      globalSetup: '<rootDir>/test/integration/support/global-setup.ts',
      testTimeout: 60000,
    },
  ],
};
