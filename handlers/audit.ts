import type { Context } from 'aws-lambda';
import { auditRequestOf } from '../lib/audit/event';
import type { AuditReport } from '../lib/audit/report';
import { runCountsOf } from '../lib/audit/report-build';
import { runAudit, type AuditDeps, type AuditServer } from '../lib/audit/run';
import { auditServer, type ServerAuditDeps } from '../lib/audit/server-audit';
import { auditSettingsFromEnv } from '../lib/audit/settings';
import { DynamoDriftState, MemoryDriftState } from '../lib/audit/state';
import { makeDynamoDbClient } from '../lib/aws/clients';
import { budgetOf } from '../lib/deadline';
import { depsFromEnv, forInvocation, logInvocation, type Deps } from '../lib/deps';
import { DbauthError, describeError } from '../lib/errors';
import { errorDetails } from '../lib/log';

/**
 * What this handler is built from: the audit's dependencies and what one server's audit
 * uses; `auditServer` replaces the real one (lib/audit/server-audit.ts) where a test says so.
 */
export type AuditHandlerDeps = AuditDeps &
  ServerAuditDeps &
  Pick<Deps, 'metrics'> & { auditServer?: AuditServer };

export function defaultDeps(env: NodeJS.ProcessEnv = process.env): AuditHandlerDeps {
  const audit = auditSettingsFromEnv(env);
  return {
    ...depsFromEnv(env),
    audit,
    driftState: audit.tableName
      ? new DynamoDriftState(makeDynamoDbClient(), audit.tableName)
      : new MemoryDriftState(),
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
      const invocation = forInvocation(deps, context);
      const auditsServer = deps.auditServer ?? ((input) => auditServer(input, invocation));
      report = await runAudit(options, invocation, auditsServer);
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
