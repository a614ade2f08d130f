/**
 * Runs before each integration test file: points the tests at the servers of their jest
 * project (jest.config.js `globals.dbauthServers`), before `env.ts` reads the environment.
 */
import type { ServerSelection } from './servers';

const selection = (globalThis as { dbauthServers?: ServerSelection }).dbauthServers;
if (selection) {
  process.env.DBAUTH_PG_PORT = String(selection.postgres.port);
  process.env.DBAUTH_PG_MAJOR = String(selection.postgres.major);
  process.env.DBAUTH_TEST_MARIADB = selection.mariadb ? 'yes' : 'no';
}
