import { randomUUID } from 'node:crypto';
import { AWSCURRENT, AWSPENDING } from '../lib/secrets/stages';
import { secretStore } from '../test/integration/support/aws';
import type { TestDatabase, TestMaster } from '../test/integration/support/databases';
import { lambdaContext } from '../test/integration/support/deps';
import { asMariaAdmin } from '../test/integration/support/mariadb';
import { asPgAdmin } from '../test/integration/support/postgres';
import {
  createRotatableUser,
  logsIn,
  rotate,
  rotateDeps,
  rotateHandler,
  secretAt,
} from '../test/integration/support/rotation';
import { round, withConcurrency } from './stats';

export interface SoakFigures {
  engine: string;
  secrets: number;
  rotations: number;
  completed: number;
  /** Steps run again after a failure, with the same token, as Secrets Manager retries them. */
  retries: number;
  /** Rotations still unfinished after every retry (they stay resumable). */
  abandoned: number;
  connectionsKilled: number;
  /** Secrets whose AWSCURRENT does not log in at the end: must be 0. */
  brokenCurrent: number;
  /** Versions left AWSPENDING without being AWSCURRENT at the end: must be 0. */
  strayPending: number;
  wallMs: number;
  reasons: string[];
}

/** Kills every connection dbauth has open on the server (its sessions, not the tests' own). */
async function killDbauthConnections(db: TestDatabase, master: TestMaster): Promise<number> {
  if (db.family === 'postgresql') {
    return asPgAdmin(async (admin) => {
      const { rows } = await admin.query<{ killed: boolean }>(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
          WHERE application_name = 'dbauth' AND pid <> pg_backend_pid()`,
      );
      return rows.filter((row) => row.killed).length;
    });
  }
  return asMariaAdmin(async (admin) => {
    const [rows] = await admin.query(
      `SELECT ID AS id FROM information_schema.PROCESSLIST
        WHERE ID <> CONNECTION_ID() AND (USER = ? OR USER LIKE 'soak\\_%') AND COMMAND <> 'Daemon'`,
      [master.username],
    );
    let killed = 0;
    for (const { id } of rows as { id: number }[]) {
      await admin.query(`KILL CONNECTION ${Number(id)}`).then(
        () => (killed += 1),
        () => undefined, // gone already
      );
    }
    return killed;
  });
}

/**
 * Rotates `secrets` secrets `rounds` times each, `cap` at once, while a loop kills dbauth's
 * database connections every `killEveryMs`. A failed rotation is retried with the same token
 * after a growing pause (up to `maxRetries` times, as Secrets Manager retries a failed step),
 * then the state of every secret is checked.
 * Bounded in count and, through the Lambda-like deadline of each step, in time.
 */
export async function soak(
  db: TestDatabase,
  options = { secrets: 30, rounds: 10, cap: 10, killEveryMs: 100, maxRetries: 10 },
): Promise<SoakFigures> {
  const master = await db.createMaster();
  // One at a time: the hand-made users of the test support are made without dbauth's turn-taking.
  const users = await withConcurrency(
    1,
    Array.from(
      { length: options.secrets },
      (_, i) => () =>
        createRotatableUser(master, {
          strategy: i % 2 === 0 ? 'alternating' : 'single',
          db,
          username: `soak_${randomUUID().slice(0, 8)}`,
        }),
    ),
  );
  const secrets = users.flatMap((result) => (result.status === 'fulfilled' ? [result.value.secretArn] : []));
  const handler = rotateHandler(rotateDeps({ env: { DBAUTH_STATEMENT_TIMEOUT_MS: '3000' } }));
  const invoke = (event: Parameters<typeof handler>[0]) => handler(event, lambdaContext(15_000));
  let retries = 0;
  let abandoned = 0;
  const reasons = new Set<string>();

  let killing = true;
  let connectionsKilled = 0;
  const killer = (async () => {
    while (killing) {
      connectionsKilled += await killDbauthConnections(db, master).catch(() => 0);
      await new Promise((resolve) => setTimeout(resolve, options.killEveryMs));
    }
  })();

  const started = performance.now();
  // Each secret's rounds run one after another (one rotation at a time per secret); secrets run side by side.
  const results = await withConcurrency(
    options.cap,
    secrets.map((arn) => async () => {
      let completed = 0;
      for (let round = 0; round < options.rounds; round += 1) {
        const token = randomUUID();
        for (let attempt = 0; ; attempt += 1) {
          try {
            await rotate(arn, { token, handler: invoke });
            completed += 1;
            break;
          } catch (error) {
            reasons.add(
              error instanceof Error ? error.message.replace(/[0-9a-f-]{36}|arn:\S+/g, '…') : 'unknown',
            );
            if (attempt >= options.maxRetries) {
              abandoned += 1;
              return completed;
            }
            retries += 1;
            // Secrets Manager backs off between the attempts of a failed step too.
            await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
          }
        }
      }
      return completed;
    }),
  );
  const wallMs = round(performance.now() - started, 0);
  killing = false;
  await killer;

  const store = secretStore();
  let brokenCurrent = 0;
  let strayPending = 0;
  for (const arn of secrets) {
    const current = await secretAt(arn, AWSCURRENT);
    if (!(await logsIn(current, master.database))) brokenCurrent += 1;
    const { versions } = await store.describe(arn);
    strayPending += Object.values(versions).filter(
      (stages) => stages.includes(AWSPENDING) && !stages.includes(AWSCURRENT),
    ).length;
  }
  return {
    engine: db.name,
    secrets: secrets.length,
    rotations: secrets.length * options.rounds,
    completed: results.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value : 0), 0),
    retries,
    abandoned,
    connectionsKilled,
    brokenCurrent,
    strayPending,
    wallMs,
    reasons: [...reasons].slice(0, 8),
  };
}
