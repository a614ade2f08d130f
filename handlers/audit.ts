import type { Context } from 'aws-lambda';
import { noServerChecks } from '../lib/audit/no-server-checks';
import { auditRequestOf } from '../lib/audit/event';
import type { AuditReport } from '../lib/audit/report';
import { runCountsOf } from '../lib/audit/report-build';
import { runAudit, type AuditDeps, type AuditServer } from '../lib/audit/run';
import { auditSettingsFromEnv } from '../lib/audit/settings';
import { DynamoDriftState, MemoryDriftState } from '../lib/audit/state';
import { makeDynamoDbClient } from '../lib/aws/clients';
import { budgetOf } from '../lib/deadline';
import { depsFromEnv, logInvocation, type Deps } from '../lib/deps';
import { DbauthError, describeError } from '../lib/errors';
import { errorDetails } from '../lib/log';

/** What this handler is built from: the audit's dependencies, and one server's audit. */
export type AuditHandlerDeps = AuditDeps & Pick<Deps, 'metrics'> & { auditServer: AuditServer };

export function defaultDeps(env: NodeJS.ProcessEnv = process.env): AuditHandlerDeps {
  const audit = auditSettingsFromEnv(env);
  return {
    ...depsFromEnv(env),
    audit,
    driftState: audit.tableName
      ? new DynamoDriftState(makeDynamoDbClient(), audit.tableName)
      : new MemoryDriftState(),
    auditServer: noServerChecks,
  };
}

/** The drift audit: on its schedule, or on demand. A thrown error is a failed run (alarmed); the next run repeats it. */
export function makeHandler(deps: AuditHandlerDeps) {
  return async (rawEvent: unknown, context?: Partial<Context>): Promise<AuditReport> => {
    logInvocation(deps.logger, context);
    const started = Date.now();
    let report: AuditReport | undefined;
    try {
      const options = auditRequestOf(rawEvent, budgetOf(context, deps.audit.marginMs));
      deps.logger.appendKeys({ trigger: options.trigger });
      report = await runAudit(options, deps, deps.auditServer);
      return report;
    } catch (error) {
      deps.logger.error('audit failed', errorDetails(error));
      throw error instanceof DbauthError ? error : new DbauthError(describeError(error));
    } finally {
      if (report) deps.metrics.auditRun(runCountsOf(report.summary), Date.now() - started);
      deps.metrics.flush();
      deps.logger.resetKeys();
    }
  };
}

export const handler = makeHandler(defaultDeps());
