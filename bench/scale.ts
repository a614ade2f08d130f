import { makeHandler } from '../handlers/custom-resource';
import { cfnEvent, testStackId } from '../test/integration/support/cfn-events';
import type { CfnResponseServer } from '../test/integration/support/cfn-server';
import { customResourceDeps, lambdaContext } from '../test/integration/support/deps';
import type { TestDatabase } from '../test/integration/support/databases';
import { asMariaAdmin } from '../test/integration/support/mariadb';
import { asPgAdmin, uniqueSuffix } from '../test/integration/support/postgres';
import { enableRotation, rotate, rotateHandler } from '../test/integration/support/rotation';
import { round, withConcurrency } from './stats';

export interface ScaleFigures {
  phase: string;
  engine: string;
  count: number;
  /** The reserved concurrency of a function: at most this many run at once. */
  concurrencyCap: number;
  peakConnections: number;
  wallMs: number;
  failures: number;
  reasons: string[];
}

/** The server's connections to `database`, the asking one excluded. */
async function countConnections(db: TestDatabase, database: string): Promise<number> {
  if (db.family === 'postgresql') {
    return asPgAdmin(async (admin) => {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [database],
      );
      return rows[0]?.n ?? 0;
    });
  }
  return asMariaAdmin(async (admin) => {
    const [rows] = await admin.query(
      `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()`,
      [database],
    );
    return Number((rows as { n: number }[])[0]?.n ?? 0);
  });
}

/** Samples the server's connections to `database` until stopped; resolves to the peak. */
function sampleConnections(db: TestDatabase, database: string): { stop: () => Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await countConnections(db, database));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peak;
    },
  };
}

async function phase(
  name: string,
  db: TestDatabase,
  database: string,
  cap: number,
  tasks: (() => Promise<void>)[],
): Promise<ScaleFigures> {
  const sampler = sampleConnections(db, database);
  const started = performance.now();
  const results = await withConcurrency(cap, tasks);
  const wallMs = round(performance.now() - started, 0);
  const peakConnections = await sampler.stop();
  const rejected = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  const failures = rejected.length;
  // Why, once per distinct reason: a failure figure without its reason helps no one.
  const reasons = [
    ...new Set(rejected.map((r) => (r.reason instanceof Error ? r.reason.message : String(r.reason)))),
  ];
  return {
    phase: name,
    engine: db.name,
    count: tasks.length,
    concurrencyCap: cap,
    peakConnections,
    wallMs,
    failures,
    reasons,
  };
}

/** 100 users bootstrapped at once, then their 100 secrets rotated at once, under the cap. */
export async function measureScale(
  server: CfnResponseServer,
  db: TestDatabase,
  count = 100,
  cap = 10,
): Promise<ScaleFigures[]> {
  const master = await db.createMaster();
  const masterArn = await db.putMasterSecret(master);
  const handler = makeHandler(customResourceDeps());
  const secrets: string[] = [];
  const bootstrap = await phase(
    `${count} users created`,
    db,
    master.database,
    cap,
    Array.from({ length: count }, () => async () => {
      const properties = {
        MasterSecretArn: masterArn,
        Username: `scale_${uniqueSuffix()}`,
        Database: master.database,
      };
      const stackId = testStackId('scale');
      const response = await handler(cfnEvent('Create', server, { properties, stackId }), lambdaContext());
      if (response.Status !== 'SUCCESS') throw new Error(response.Reason);
      secrets.push(response.Data?.SecretArn ?? '');
    }),
  );
  for (const arn of secrets) await enableRotation(arn);
  const rotator = rotateHandler();
  const rotation = await phase(
    `${secrets.length} secrets rotated`,
    db,
    master.database,
    cap,
    secrets.map((arn) => async () => {
      await rotate(arn, { handler: rotator });
    }),
  );
  return [bootstrap, rotation];
}
