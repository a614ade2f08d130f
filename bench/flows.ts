import { mysql } from '../lib/engines/mysql/adapter';
import { postgresql } from '../lib/engines/postgresql/adapter';
import type { TestDatabase } from '../test/integration/support/databases';
import { makeHandler } from '../handlers/custom-resource';
import { customResourceDeps, lambdaContext } from '../test/integration/support/deps';
import { cfnEvent, testStackId } from '../test/integration/support/cfn-events';
import type { CfnResponseServer } from '../test/integration/support/cfn-server';
import { uniqueSuffix } from '../test/integration/support/postgres';
import {
  createRotatableUser,
  rotate,
  rotateDeps,
  rotateHandler,
  type AppUser,
} from '../test/integration/support/rotation';
import { CallCounter, ConnectionCounter } from './counters';
import { median, percentile, round } from './stats';

export interface FlowFigures {
  flow: string;
  engine: string;
  runs: number;
  /** Secrets Manager calls per run, by operation (the same on every run of the happy path). */
  secretsManagerCalls: Record<string, number>;
  secretsManagerTotal: number;
  connectionAttempts: number;
  failedConnections: number;
  wallMs: { median: number; p95: number };
}

const RUNS = 20;
const connections = new ConnectionCounter();
connections.attach(postgresql);
connections.attach(mysql);

/** Runs `once` RUNS times, counting calls and connections of each run. */
async function measure(
  flow: string,
  engine: string,
  calls: CallCounter,
  once: () => Promise<void>,
): Promise<FlowFigures> {
  const walls: number[] = [];
  const totals: number[] = [];
  let last: Record<string, number> = {};
  let attempts = 0;
  let failed = 0;
  for (let run = 0; run < RUNS; run += 1) {
    calls.reset();
    connections.reset();
    const started = performance.now();
    await once();
    walls.push(performance.now() - started);
    totals.push(calls.total);
    last = { ...calls.counts };
    attempts = Math.max(attempts, connections.attempts);
    failed = Math.max(failed, connections.failed);
  }
  return {
    flow,
    engine,
    runs: RUNS,
    secretsManagerCalls: last,
    secretsManagerTotal: Math.max(...totals),
    connectionAttempts: attempts,
    failedConnections: failed,
    wallMs: { median: round(median(walls)), p95: round(percentile(walls, 95)) },
  };
}

/**
 * One full rotation (four steps, as Secrets Manager invokes them), per strategy: the first
 * rotation of each of RUNS secrets, then RUNS rotations of one secret in a row. They differ in
 * moto only: after UpdateSecretVersionStage moved AWSCURRENT, moto's BatchGetSecretValue
 * returns the old version (AWS returns AWSCURRENT), so dbauth reads the current one alone.
 */
export async function measureRotations(db: TestDatabase): Promise<FlowFigures[]> {
  const master = await db.createMaster();
  const figures: FlowFigures[] = [];
  for (const strategy of ['single', 'alternating'] as const) {
    // Warm: the four steps reach one function (the usual case), whose cache keeps the values
    // of the versions earlier steps read or put. Cold: every step on a new function.
    for (const warm of [true, false]) {
      const deps = rotateDeps(warm ? {} : { versionCache: false });
      const calls = new CallCounter();
      calls.attach(deps.store.client);
      const handler = rotateHandler(deps);
      const fresh: AppUser[] = [];
      for (let run = 0; run < RUNS; run += 1) fresh.push(await createRotatableUser(master, { strategy, db }));
      figures.push(
        await measure(
          `rotation (${strategy} user${warm ? '' : ', every step cold'})`,
          db.name,
          calls,
          async () => {
            const user = fresh.shift();
            if (!user) throw new Error('no user left');
            await rotate(user.secretArn, { handler });
          },
        ),
      );
    }
    const deps = rotateDeps();
    const calls = new CallCounter();
    calls.attach(deps.store.client);
    const handler = rotateHandler(deps);
    const repeated = await createRotatableUser(master, { strategy, db });
    figures.push(
      await measure(`rotation (${strategy} user, again and again)`, db.name, calls, async () => {
        await rotate(repeated.secretArn, { handler });
      }),
    );
  }
  return figures;
}

/** A Custom::DatabaseUser Create and its Delete. */
export async function measureCustomResource(
  server: CfnResponseServer,
  db: TestDatabase,
): Promise<FlowFigures[]> {
  const master = await db.createMaster();
  const masterArn = await db.putMasterSecret(master);
  const deps = customResourceDeps();
  const calls = new CallCounter();
  calls.attach(deps.store.client);
  const counted = makeHandler(deps);
  const created: { id: string; properties: Record<string, unknown>; stackId: string }[] = [];
  const create = await measure('custom resource Create', db.name, calls, async () => {
    const properties = {
      MasterSecretArn: masterArn,
      Username: `bench_${uniqueSuffix()}`,
      Database: master.database,
    };
    const stackId = testStackId('bench');
    const response = await counted(cfnEvent('Create', server, { properties, stackId }), lambdaContext());
    if (response.Status !== 'SUCCESS') throw new Error(`Create failed: ${response.Reason}`);
    created.push({ id: response.PhysicalResourceId, properties, stackId });
  });
  const remove = await measure('custom resource Delete', db.name, calls, async () => {
    const next = created.shift();
    if (!next) throw new Error('nothing to delete');
    const response = await counted(
      cfnEvent('Delete', server, {
        properties: next.properties,
        stackId: next.stackId,
        physicalResourceId: next.id,
      }),
      lambdaContext(),
    );
    if (response.Status !== 'SUCCESS') throw new Error(`Delete failed: ${response.Reason}`);
  });
  return [create, remove];
}
