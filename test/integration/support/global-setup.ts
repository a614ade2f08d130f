import { createConnection } from 'node:net';
import { Client } from 'pg';
import { testEnv } from './env';
import type { ServerSelection } from './servers';

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 2000 });
    socket.on('connect', () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => (socket.destroy(), resolve(false)));
  });
}

/** The major version of the PostgreSQL server on `port` (as the superuser sees it). */
async function postgresMajor(port: number): Promise<number> {
  const client = new Client({
    host: testEnv.pg.host,
    port,
    user: testEnv.pg.adminUser,
    password: testEnv.pg.adminPassword,
    database: 'postgres',
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    return Math.floor(Number(rows[0]?.v) / 10000);
  } finally {
    await client.end();
  }
}

/**
 * Runs once per jest project: fails the run at once, and says what to do, when a server the
 * project uses is not up, or is not the PostgreSQL major the project names.
 */
export default async function globalSetup(
  _globalConfig: unknown,
  projectConfig: { globals?: { dbauthServers?: ServerSelection } },
): Promise<void> {
  const selection = projectConfig.globals?.dbauthServers;
  const pg = selection?.postgres ?? { major: testEnv.pg.major, port: testEnv.pg.port };
  const url = new URL(testEnv.aws.endpoint);
  const services: [string, string, number][] = [
    [`PostgreSQL ${pg.major}`, testEnv.pg.host, pg.port],
    ['moto server', url.hostname, Number(url.port)],
  ];
  if (selection?.mariadb ?? true) services.push(['MariaDB', testEnv.mariadb.host, testEnv.mariadb.port]);
  const down: string[] = [];
  for (const [name, host, port] of services)
    if (!(await reachable(host, port))) down.push(`${name} (${host}:${port})`);
  if (down.length > 0) {
    throw new Error(`not reachable: ${down.join(', ')}. Start them with: bash scripts/test-services.sh`);
  }
  const major = await postgresMajor(pg.port);
  if (major !== pg.major) {
    throw new Error(`the PostgreSQL server on port ${pg.port} runs ${major}, not ${pg.major}`);
  }
}
