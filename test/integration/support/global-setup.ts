import { createConnection } from 'node:net';
import { testEnv } from './env';

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 2000 });
    socket.on('connect', () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => (socket.destroy(), resolve(false)));
  });
}

/** Fails the run at once, and says what to do, when a service is not up. */
export default async function globalSetup(): Promise<void> {
  const url = new URL(testEnv.aws.endpoint);
  const services: [string, string, number][] = [
    ['PostgreSQL', testEnv.pg.host, testEnv.pg.port],
    ['MariaDB', testEnv.mariadb.host, testEnv.mariadb.port],
    ['moto server', url.hostname, Number(url.port)],
  ];
  const down: string[] = [];
  for (const [name, host, port] of services)
    if (!(await reachable(host, port))) down.push(`${name} (${host}:${port})`);
  if (down.length > 0) {
    throw new Error(`not reachable: ${down.join(', ')}. Start them with: bash scripts/test-services.sh`);
  }
}
