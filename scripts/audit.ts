// Audits the managed secrets and their database users against what they declare:
// `npm run audit -- [--secret-id X]... [--format table|json] [--repair] [--invoke <function>]`.
// Runs here, against whatever endpoint the AWS SDK is pointed at (AWS_ENDPOINT_URL for local
// services), keeps its state in memory and publishes nothing; or, with --invoke, has the deployed
// audit function run it (databases in a VPC) with publish off, and renders its answer. Exit code: 0 clean, 1 drift found, 2 incomplete, 3 error.
import { parseArgs } from 'node:util';
import { defaultDeps } from '../handlers/audit';
import { InvalidAuditRequestError } from '../lib/audit/errors';
import { MAX_SECRET_IDS } from '../lib/audit/event';
import { exitCodeOf, renderJson, renderTable } from '../lib/audit/render';
import { runAudit } from '../lib/audit/run';
import { auditServer } from '../lib/audit/server-audit';
import { MemoryDriftState } from '../lib/audit/state';
import type { AuditReport } from '../lib/audit/report';
import { describeError } from '../lib/errors';
import { invokeAudit } from './audit-invoke';

const USAGE =
  'usage: npm run audit -- [--secret-id <name or ARN>]... [--format table|json] [--repair] [--invoke <function>]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'secret-id': { type: 'string', multiple: true },
      format: { type: 'string', default: 'table' },
      repair: { type: 'boolean', default: false },
      invoke: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const format = values.format;
  const secretIds = values['secret-id'];
  if (format !== 'table' && format !== 'json')
    throw new InvalidAuditRequestError(`--format must be table or json. ${USAGE}`);
  if (secretIds && secretIds.length > MAX_SECRET_IDS)
    throw new InvalidAuditRequestError(`at most ${MAX_SECRET_IDS} --secret-id. ${USAGE}`);
  const report = values.invoke
    ? await invokeAudit(values.invoke, { secretIds, repair: values.repair })
    : await auditHere(secretIds, values.repair);
  console.log(format === 'json' ? renderJson(report) : renderTable(report, process.stdout.columns || 160));
  return exitCodeOf(report);
}

async function auditHere(secretIds: string[] | undefined, repair: boolean): Promise<AuditReport> {
  const deps = { ...defaultDeps(), driftState: new MemoryDriftState() };
  // The report is the output: the logger's INFO lines (stdout) would only get in its way.
  // Warnings and errors still go to stderr.
  deps.logger.setLogLevel('WARN');
  return runAudit(
    {
      trigger: 'on-demand',
      secretIds,
      repair,
      publish: false,
      budgetMs: Number.POSITIVE_INFINITY,
    },
    deps,
    (input) => auditServer(input, deps),
  );
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`audit failed: ${describeError(error)}`);
    process.exit(3);
  },
);
