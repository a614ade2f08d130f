/**
 * The drift audit's figures (docs/drift-audit-design.md §13): 100 users made through the real
 * custom resource on two servers (50 on PostgreSQL, 50 on MariaDB; half single, half
 * alternating and rotated once; 5 `owner` users per server with a table each), audited by the
 * real `runAudit` with the real per-server audit. Runs: clean with fresh dependencies (cold),
 * 3 times again with the same ones (warm), the connection cap at 2/4/8 (3 warm runs each), 10
 * users drifted by hand, then with publishing on (DynamoDB state and EventBridge on moto): the
 * drifted run, and the same once more. Prints tables; `npm run bench` records them in results.json (`audit`).
 * Alone: `POWERTOOLS_LOG_LEVEL=ERROR bash scripts/node24.sh tsx bench/audit.ts [--postgres 17]`
 * (merges `audit` into the results file of that run).
 */
import './select-server';
import { testEnv } from '../test/integration/support/env';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { makeHandler } from '../handlers/custom-resource';
import { runAudit, type AuditDeps } from '../lib/audit/run';
import { auditServer, type ServerAuditDeps } from '../lib/audit/server-audit';
import { auditSettingsFromEnv } from '../lib/audit/settings';
import { DynamoDriftState, MemoryDriftState } from '../lib/audit/state';
import type { AuditReport } from '../lib/audit/report';
import { commonConfig } from '../lib/aws/clients';
import { mysql } from '../lib/engines/mysql/adapter';
import { postgresql } from '../lib/engines/postgresql/adapter';
import { EventBridgePublisher } from '../lib/events/publisher';
import { parseAppSecret } from '../lib/secrets/secret-value';
import { auditTable } from '../test/integration/support/audit';
import { secretStore } from '../test/integration/support/aws';
import { cfnEvent, testStackId } from '../test/integration/support/cfn-events';
import { CfnResponseServer } from '../test/integration/support/cfn-server';
import { TEST_DATABASES, type TestDatabase, type TestMaster } from '../test/integration/support/databases';
import { customResourceDeps, lambdaContext, testDeps } from '../test/integration/support/deps';
import { eventBridgeClient } from '../test/integration/support/event-queue';
import { motoRotationFunctionArn } from '../test/integration/support/lambda';
import { rotate, rotateHandler } from '../test/integration/support/rotation';
import { CallCounter, ConnectionCounter } from './counters';
import { asMariaAdmin } from '../test/integration/support/mariadb';
import { asPgAdmin } from '../test/integration/support/postgres';
import { round } from './stats';

export interface AuditRunFigures {
  run: string;
  /** The per-server connection cap (`DBAUTH_AUDIT_MAX_CONNECTIONS`). */
  cap: number;
  wallMs: number;
  /** The report's own duration (`summary.durationMs`). */
  reportMs: number;
  secrets: number;
  checked: number;
  findings: number;
  byKind: Record<string, number>;
  /** Per server: the most connections the server counted (sampled), what the audit reports, attempts. */
  servers: {
    engine: string;
    sampledPeak: number;
    /** The first sample above the cap, if any: each connection's user and command/state. */
    overCap?: string[];
    reportedPeak: number;
    attempts: number;
    failedAttempts: number;
    durationMs: number;
  }[];
  secretsManagerCalls: Record<string, number>;
  secretsManagerTotal: number;
  /** GetSecretValue by stage asked, or `version id` (moto's AWSPENDING copies, see ReadCounter). */
  getSecretValueBy: Record<string, number>;
  /** Calls per user without the reads by version id: what AWS, which stages no copy, would see. */
  callsPerUserWithoutPendingCopies: number;
  /**
   * Without those and without the single AWSCURRENT reads of rotated secrets: moto's
   * BatchGetSecretValue returns their version before the rotation (AWS returns AWSCURRENT), so
   * the audit reads each alone (flows.ts saw the same of rotations).
   */
  callsPerUserInAwsTerms: number;
  /** Until the first server's audit began (inventory, rotation checks), the servers, and after (re-checks, state, events). */
  phasesMs: { before: number; servers: number; after: number };
  /** `summary.secretsManagerCalls`: the audit's own count. */
  reportedSecretsManagerCalls: number;
  callsPerUser: number;
  putEvents: number;
  dynamoDbCalls: Record<string, number>;
  unchecked: number;
}

export interface AuditFigures {
  /** Where it ran: CPU, Node, and the commit measured (with `+changes` when the tree differed). */
  machine: { cpu?: string; cpus: number; node: string; commit: string };
  users: number;
  /** Users drifted by hand before the drifted runs (5 per server). */
  drifted: number;
  perServer: { engine: string; users: number; single: number; alternating: number; owners: number }[];
  defaultCap: number;
  buildMs: number;
  runs: AuditRunFigures[];
}

const PER_SERVER = 50;
const OWNERS = 5;
const DRIFTED_PER_SERVER = 5;

interface ServerFleet {
  db: TestDatabase;
  master: TestMaster;
  /** Users by index: single (even), alternating (odd) and rotated once. */
  users: { index: number; username: string; secretArn: string; grants: string }[];
}

/** Grants of user `index`: the first OWNERS are owners, then readonly and readwrite by pairs. */
const grantsOf = (index: number) =>
  index < OWNERS ? 'owner' : Math.floor(index / 2) % 2 === 0 ? 'readonly' : 'readwrite';

/** One server's 50 users, through the real custom resource, alternating ones rotated once. */
async function buildFleet(
  server: CfnResponseServer,
  db: TestDatabase,
  stackId: string,
  rotationLambdaArn: string,
): Promise<ServerFleet> {
  const master = await db.createMaster();
  const masterArn = await db.putMasterSecret(master);
  reads.labels.set(masterArn, 'master');
  await db.asMaster(master, db.itemsTable);
  const handler = makeHandler(customResourceDeps({ rotationLambdaArn }));
  const rotator = rotateHandler();
  const prefix = db.family === 'postgresql' ? 'Pg' : 'Maria';
  const users: ServerFleet['users'] = [];
  for (let index = 0; index < PER_SERVER; index += 1) {
    const username = `${prefix.toLowerCase()}au${index}_${stackId.slice(-8)}`;
    const grants = grantsOf(index);
    const properties = {
      MasterSecretArn: masterArn,
      Username: username,
      Database: master.database,
      Grants: grants,
      Rotation: { Strategy: index % 2 === 1 ? 'alternating' : 'single', AutomaticallyAfterDays: '30' },
    };
    const response = await handler(
      cfnEvent('Create', server, { properties, stackId, logicalResourceId: `${prefix}User${index}` }),
      lambdaContext(),
    );
    if (response.Status !== 'SUCCESS') throw new Error(`Create ${username} failed: ${response.Reason}`);
    const secretArn = response.Data?.SecretArn ?? '';
    if (index % 2 === 1) {
      await rotate(secretArn, { handler: rotator });
      reads.labels.set(secretArn, 'rotated');
    }
    users.push({ index, username, secretArn, grants });
  }
  // Tables of the master (one readable by PUBLIC on PostgreSQL) and one per owner, made with
  // its AWSCURRENT login (the clone, for an alternating owner rotated once).
  const run = stackId.slice(-8);
  await db.asMaster(
    master,
    `CREATE TABLE later_${run} (id int)`,
    ...(db.family === 'postgresql'
      ? [`CREATE TABLE open_${run} (id int)`, `GRANT SELECT ON open_${run} TO PUBLIC`]
      : []),
  );
  for (const user of users.filter((u) => u.grants === 'owner')) {
    const value = parseAppSecret(
      user.secretArn,
      await secretStore().getString(user.secretArn, { stage: 'AWSCURRENT' }),
    );
    const login = {
      user: value.username,
      password: value.password.reveal(),
      database: value.dbname ?? master.database,
    };
    const made = await db.tryAs(login, `CREATE TABLE owned_${user.index}_${run} (id int)`);
    if (made !== 'ok') throw new Error(`owner ${user.username} could not make its table: ${made}`);
  }
  return { db, master, users };
}

/**
 * 5 drifts per server, one finding each, on single readonly users: 2 grants added by hand
 * (grant-extra), 2 passwords changed by the administrator (password-mismatch), 1 user dropped
 * (user-missing).
 */
async function drift(fleet: ServerFleet): Promise<string[]> {
  const { db, master } = fleet;
  const picked = fleet.users
    .filter((u) => u.index % 2 === 0 && u.grants === 'readonly' && u.index >= 20)
    .slice(0, DRIFTED_PER_SERVER);
  if (picked.length < DRIFTED_PER_SERVER) throw new Error('not enough users to drift');
  const [a, b, c, d, e] = picked.map((u) => u.username) as [string, string, string, string, string];
  const on = `\`${master.database.replace(/_/g, '\\_')}\`.*`;
  await db.asMaster(
    master,
    ...(db.family === 'postgresql'
      ? [`GRANT INSERT ON items TO ${a}`, `GRANT INSERT ON items TO ${b}`]
      : [`GRANT INSERT ON ${on} TO '${a}'@'%'`, `GRANT INSERT ON ${on} TO '${b}'@'%'`]),
  );
  await db.setPasswordAsAdmin(c, `drifted-${Math.random().toString(36).slice(2)}-Aa1`);
  await db.setPasswordAsAdmin(d, `drifted-${Math.random().toString(36).slice(2)}-Aa1`);
  await db.dropUserAsAdmin(master, e);
  return picked.map((u) => u.secretArn);
}

type BenchAuditDeps = AuditDeps & ServerAuditDeps;

/** The server's connections to `database` (the asking one excluded), each as `user command/state`. */
async function connectionsTo(db: TestDatabase, database: string): Promise<string[]> {
  if (db.family === 'postgresql') {
    return asPgAdmin(async (admin) => {
      const { rows } = await admin.query<{ c: string }>(
        `SELECT usename || ' ' || coalesce(state, '-') AS c FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [database],
      );
      return rows.map((r) => r.c);
    });
  }
  return asMariaAdmin(async (admin) => {
    const [rows] = await admin.query(
      `SELECT CONCAT(USER, ' ', COMMAND, '/', COALESCE(STATE, '-')) AS c FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()`,
      [database],
    );
    return (rows as { c: string }[]).map((r) => r.c);
  });
}

/**
 * Samples the server's connections to `database` until stopped (as scale.ts does): the peak,
 * and the first sample above `cap`, with what each of its connections was doing.
 */
function sampleConnections(db: TestDatabase, database: string, cap: number) {
  let peak = 0;
  let overCap: string[] | undefined;
  let running = true;
  const loop = (async () => {
    while (running) {
      const seen = await connectionsTo(db, database);
      peak = Math.max(peak, seen.length);
      if (seen.length > cap && !overCap) overCap = seen;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { peak, overCap };
    },
  };
}

/**
 * GetSecretValue calls by what they ask for: a stage, or a version id (the audit reads an
 * AWSPENDING by its id). On moto every secret with rotation on holds an AWSPENDING copy of
 * AWSCURRENT (RotateSecret with RotateImmediately: false stages one; AWS stages none), so each
 * costs one read by version id that AWS would not.
 */
class ReadCounter {
  counts: Record<string, number> = {};
  /** Secrets whose AWSCURRENT reads are labelled apart: masters, and the secrets rotated once. */
  readonly labels = new Map<string, string>();

  attach(client: SecretsManagerClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetSecretValueCommand') {
          const input = args.input as { SecretId?: string; VersionStage?: string; VersionId?: string };
          const label = this.labels.get(input.SecretId ?? '');
          const stage = input.VersionStage ?? (input.VersionId ? 'version id' : 'AWSCURRENT');
          const asked = stage === 'AWSCURRENT' && label ? `AWSCURRENT of ${label}` : stage;
          this.counts[asked] = (this.counts[asked] ?? 0) + 1;
        }
        return next(args);
      },
      { step: 'initialize', name: 'benchReadCounter' },
    );
  }

  reset(): void {
    this.counts = {};
  }
}

const reads = new ReadCounter();

/** Fresh dependencies (new clients: a cold function), with Secrets Manager calls counted. */
function freshDeps(prefix: string, rotationArn: string, cap: number, calls: CallCounter): BenchAuditDeps {
  const deps: BenchAuditDeps = {
    ...testDeps({ env: { DBAUTH_ROTATION_FUNCTION_ARN: rotationArn } }),
    secretNamePrefix: prefix,
    audit: { ...auditSettingsFromEnv({}), maxConnections: cap },
    driftState: new MemoryDriftState(),
  };
  calls.attach(deps.store.client);
  reads.attach(deps.store.client);
  return deps;
}

/** Counts a DynamoDB or EventBridge client's calls as CallCounter counts Secrets Manager's (same middleware). */
const countOn = (counter: CallCounter, client: DynamoDBClient | EventBridgeClient) =>
  counter.attach(client as unknown as SecretsManagerClient);

const connectionCounters = new Map<string, ConnectionCounter>();
for (const [family, engine] of [
  ['postgresql', postgresql],
  ['mysql', mysql],
] as const) {
  const counter = new ConnectionCounter();
  counter.attach(engine);
  connectionCounters.set(family, counter);
}

async function measureRun(
  name: string,
  fleets: ServerFleet[],
  deps: BenchAuditDeps,
  calls: CallCounter,
  extra: { publish?: boolean; events?: CallCounter; dynamo?: CallCounter } = {},
): Promise<{ figures: AuditRunFigures; report: AuditReport }> {
  calls.reset();
  extra.events?.reset();
  extra.dynamo?.reset();
  connectionCounters.forEach((c) => c.reset());
  reads.reset();
  let firstServer = Infinity;
  let lastServer = 0;
  const samplers = fleets.map((f) => sampleConnections(f.db, f.master.database, deps.audit.maxConnections));
  const started = performance.now();
  const report = await runAudit(
    {
      trigger: 'on-demand',
      repair: false,
      publish: extra.publish ?? false,
      budgetMs: Number.POSITIVE_INFINITY,
    },
    deps,
    async (input) => {
      firstServer = Math.min(firstServer, performance.now());
      try {
        return await auditServer(input, deps);
      } finally {
        lastServer = Math.max(lastServer, performance.now());
      }
    },
  );
  const ended = performance.now();
  const wallMs = round(ended - started, 0);
  const peaks = await Promise.all(samplers.map((s) => s.stop()));
  const { summary } = report;
  const servers = fleets.map((fleet, i) => {
    const block = report.servers.find((s) => s.port === fleet.db.port);
    const counter = connectionCounters.get(fleet.db.family);
    return {
      engine: fleet.db.name,
      sampledPeak: peaks[i]?.peak ?? 0,
      ...(peaks[i]?.overCap ? { overCap: peaks[i]?.overCap } : {}),
      reportedPeak: block?.peakConnections ?? 0,
      attempts: counter?.attempts ?? 0,
      failedAttempts: counter?.failed ?? 0,
      durationMs: block?.durationMs ?? 0,
    };
  });
  return {
    report,
    figures: {
      run: name,
      cap: deps.audit.maxConnections,
      wallMs,
      reportMs: summary.durationMs,
      secrets: summary.secrets,
      checked: summary.checked,
      findings: summary.findings.open,
      byKind: summary.byKind,
      servers,
      secretsManagerCalls: { ...calls.counts },
      secretsManagerTotal: calls.total,
      getSecretValueBy: { ...reads.counts },
      callsPerUserWithoutPendingCopies: round(
        (calls.total - (reads.counts['version id'] ?? 0)) / Math.max(1, summary.secrets),
        2,
      ),
      callsPerUserInAwsTerms: round(
        (calls.total - (reads.counts['version id'] ?? 0) - (reads.counts['AWSCURRENT of rotated'] ?? 0)) /
          Math.max(1, summary.secrets),
        2,
      ),
      phasesMs: {
        before: round(firstServer - started, 0),
        servers: round(lastServer - firstServer, 0),
        after: round(ended - lastServer, 0),
      },
      reportedSecretsManagerCalls: summary.secretsManagerCalls,
      callsPerUser: round(calls.total / Math.max(1, summary.secrets), 2),
      putEvents: extra.events?.counts.PutEvents ?? 0,
      dynamoDbCalls: { ...(extra.dynamo?.counts ?? {}) },
      unchecked: report.unchecked.length,
    },
  };
}

export async function measureAudit(server: CfnResponseServer): Promise<AuditFigures> {
  const rotationArn = await motoRotationFunctionArn();
  const stackId = testStackId(`bench-audit-${Date.now().toString(36)}`);
  const stackName = stackId.split('/')[1] ?? '';
  const prefix = `dbauth/${stackName}/`;
  const built = performance.now();
  const fleets: ServerFleet[] = [];
  for (const db of TEST_DATABASES) fleets.push(await buildFleet(server, db, stackId, rotationArn));
  const buildMs = round(performance.now() - built, 0);
  const defaultCap = auditSettingsFromEnv(process.env).maxConnections;
  const runs: AuditRunFigures[] = [];
  const record = (figures: AuditRunFigures) => {
    runs.push(figures);
    return figures;
  };

  // Clean: fresh dependencies (cold), then the same ones again (warm).
  const calls = new CallCounter();
  const deps = freshDeps(prefix, rotationArn, defaultCap, calls);
  record((await measureRun('clean, cold', fleets, deps, calls)).figures);
  for (let again = 1; again <= 3; again += 1)
    record((await measureRun(`clean, warm ${again}`, fleets, deps, calls)).figures);
  for (const cap of [2, 4, 8]) {
    const capped = new CallCounter();
    const cappedDeps = freshDeps(prefix, rotationArn, cap, capped);
    // Each cap once cold (its clients new, not recorded), then 3 times warm: moto's latency
    // varies from run to run more than the cap changes the servers' phase.
    await measureRun(`cap ${cap} (untimed)`, fleets, cappedDeps, capped);
    for (let again = 1; again <= 3; again += 1)
      record((await measureRun(`clean, cap ${cap}, warm ${again}`, fleets, cappedDeps, capped)).figures);
  }

  // 10 users drifted by hand: report only, then with the state on DynamoDB and events on.
  const drifted = new Set<string>();
  for (const fleet of fleets) (await drift(fleet)).forEach((arn) => drifted.add(arn));
  const driftedRun = await measureRun(`${drifted.size} drifted`, fleets, deps, calls);
  record(driftedRun.figures);
  const strays = driftedRun.report.servers
    .flatMap((s) => [...s.findings, ...s.users.flatMap((u) => u.findings)])
    .filter((f) => !f.secretArn || !drifted.has(f.secretArn));
  if (strays.length)
    console.log(
      `findings outside the drifted users: ${strays.map((f) => `${f.kind} ${f.user ?? ''}`).join('; ')}`,
    );

  const dynamo = new CallCounter();
  const events = new CallCounter();
  // The SDK client itself (makeDynamoDbClient's is lazy and has no middleware stack to count on).
  const dynamoClient = new DynamoDBClient(
    commonConfig({ endpoint: testEnv.aws.endpoint, region: testEnv.aws.region }),
  );
  countOn(dynamo, dynamoClient);
  const eventClient = eventBridgeClient();
  countOn(events, eventClient);
  const table = await auditTable();
  const published: BenchAuditDeps = {
    ...deps,
    driftState: new DynamoDriftState(dynamoClient, table),
    publisher: new EventBridgePublisher(eventClient, {
      onFailure: (message, details) => deps.logger.warn(message, details),
    }),
  };
  for (const name of [
    `${drifted.size} drifted, published (DynamoDB state)`,
    `${drifted.size} drifted, published again`,
  ]) {
    record((await measureRun(name, fleets, published, calls, { publish: true, events, dynamo })).figures);
  }
  return {
    machine: {
      cpu: cpus()[0]?.model,
      cpus: cpus().length,
      node: process.version,
      commit: commitMeasured(),
    },
    users: fleets.reduce((n, f) => n + f.users.length, 0),
    drifted: drifted.size,
    perServer: fleets.map((f) => ({
      engine: f.db.name,
      users: f.users.length,
      single: f.users.filter((u) => u.index % 2 === 0).length,
      alternating: f.users.filter((u) => u.index % 2 === 1).length,
      owners: f.users.filter((u) => u.grants === 'owner').length,
    })),
    defaultCap,
    buildMs,
    runs,
  };
}

/** The commit checked out, `+changes` when lib/, handlers/ or bench/ differ from it. */
function commitMeasured(): string {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: join(__dirname, '..') })
      .toString()
      .trim();
  try {
    const changed = git('status', '--porcelain', '--', 'lib', 'handlers', 'bench') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${changed ? '+changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

function table(headers: string[], rows: (string | number)[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) =>
    cells.map((c, i) => String(c).padEnd(widths[i] ?? 0)).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const byOperation = (counts: Record<string, number>, per = 1) =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, n]) => `${op} ${per === 1 ? n : round(n / per, 2)}`)
    .join(', ');

/** The audit's tables, and its `met`/`MISS` lines (design §13's targets). */
export function printAudit(figures: AuditFigures): string[] {
  console.log(
    `\nDrift audit: ${figures.users} users (${figures.perServer
      .map((s) => `${s.engine} ${s.single} single + ${s.alternating} alternating, ${s.owners} owners`)
      .join(
        '; ',
      )}), built in ${figures.buildMs} ms; default cap ${figures.defaultCap}; ${figures.drifted} drifted by hand for the drifted runs`,
  );
  console.log(
    `${figures.machine.cpus} x ${figures.machine.cpu}, Node ${figures.machine.node}, commit ${figures.machine.commit}\n`,
  );
  console.log(
    table(
      [
        'run',
        'cap',
        'wall ms',
        'findings',
        'checked',
        'peak conn. sampled / reported',
        'attempts',
        'phases ms',
        'SM calls/user (AWS terms)',
      ],
      figures.runs.map((r) => [
        r.run,
        r.cap,
        r.wallMs,
        r.findings,
        `${r.checked}/${r.secrets}`,
        r.servers.map((s) => `${s.engine} ${s.sampledPeak}/${s.reportedPeak}`).join(', '),
        r.servers
          .map((s) => `${s.attempts}${s.failedAttempts ? ` (${s.failedAttempts} failed)` : ''}`)
          .join(' + '),
        `${r.phasesMs.before}/${r.phasesMs.servers}/${r.phasesMs.after}`,
        `${r.callsPerUser} (${r.callsPerUserInAwsTerms})`,
      ]),
    ),
  );
  console.log(
    '\nphases: until the first server audit / server audits / after the last. AWS terms: without the reads moto alone causes (its AWSPENDING copies, AWSCURRENT of rotated secrets read alone after its stale batches)',
  );
  console.log('\nSecrets Manager calls per user by operation; PutEvents and DynamoDB calls per run\n');
  console.log(
    table(
      ['run', 'SM per user', 'GetSecretValue by', 'SM total (report)', 'PutEvents', 'DynamoDB', 'by kind'],
      figures.runs.map((r) => [
        r.run,
        byOperation(r.secretsManagerCalls, r.secrets),
        byOperation(r.getSecretValueBy),
        `${r.secretsManagerTotal} (${r.reportedSecretsManagerCalls})`,
        r.putEvents,
        byOperation(r.dynamoDbCalls) || '-',
        byOperation(r.byKind) || '-',
      ]),
    ),
  );
  for (const r of figures.runs)
    for (const s of r.servers)
      if (s.overCap)
        console.log(
          `${r.run} on ${s.engine}: ${s.overCap.length} connections seen at once (cap ${r.cap}): ${s.overCap.join(', ')}`,
        );
  const checks: string[] = [];
  const verdict = (ok: boolean, text: string) => checks.push(`${ok ? 'met ' : 'MISS'} audit ${text}`);
  for (const r of figures.runs) {
    const clean = r.run.startsWith('clean');
    const expected = clean ? 0 : figures.drifted;
    verdict(r.findings === expected, `${r.run}: ${r.findings} findings (target ${expected})`);
    verdict(r.unchecked === 0, `${r.run}: ${r.unchecked} secrets unchecked (target 0)`);
    for (const s of r.servers)
      verdict(
        Math.max(s.sampledPeak, s.reportedPeak) <= r.cap,
        `${r.run} on ${s.engine}: peak ${s.sampledPeak} sampled, ${s.reportedPeak} reported (cap ${r.cap})`,
      );
    // The target is in AWS terms: moto's AWSPENDING copies and stale batches cost reads AWS would not.
    verdict(
      r.callsPerUserInAwsTerms <= 1,
      `${r.run}: ${r.callsPerUserInAwsTerms} Secrets Manager calls per user in AWS terms, ${r.callsPerUser} on moto (target <= 1.0 in AWS terms)`,
    );
    if (r.cap === 4) verdict(r.wallMs <= 60_000, `${r.run}: ${r.wallMs} ms (target <= 60000 at cap 4)`);
  }
  const again = figures.runs.find((r) => r.run.endsWith('published again'));
  if (again)
    verdict(
      again.putEvents === 1,
      `published again: ${again.putEvents} PutEvents (target 1: Audit Completed only)`,
    );
  return checks;
}

async function main(): Promise<void> {
  const server = new CfnResponseServer();
  await server.start();
  try {
    const figures = await measureAudit(server);
    const checks = printAudit(figures);
    console.log(`\nTargets\n\n${checks.join('\n')}\n`);
    const file = join(
      __dirname,
      process.env.DBAUTH_TEST_MARIADB === 'no' ? `results-postgres-${testEnv.pg.major}.json` : 'results.json',
    );
    const results = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
      : {};
    writeFileSync(
      file,
      `${JSON.stringify({ ...results, audit: { date: new Date().toISOString(), ...figures, checks } }, null, 2)}\n`,
    );
    console.log(`written: bench/${file.split('/').pop()} (audit)`);
  } finally {
    await server.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  });
}
