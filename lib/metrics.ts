import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { findEngine } from './engines/registry';
import { errorDetails } from './log';
import type { RotationStep } from './rotation/event';
import type { Strategy } from './secrets/tags';

/** The metrics dbauth publishes, in the namespace `dbauth/<namePrefix>` (docs/deploy.md, Metrics). */
export const METRIC_NAMES = {
  rotationSteps: 'RotationSteps',
  rotationStepDuration: 'RotationStepDuration',
  customResourceRequests: 'CustomResourceRequests',
  customResourceRequestDuration: 'CustomResourceRequestDuration',
  auditNewFindings: 'AuditNewFindings',
  auditChangedFindings: 'AuditChangedFindings',
  auditOpenFindings: 'AuditOpenFindings',
  auditResolvedFindings: 'AuditResolvedFindings',
  auditIncomplete: 'AuditIncomplete',
  auditServersUnreachable: 'AuditServersUnreachable',
  auditDuration: 'AuditDuration',
} as const;

// Types, not interfaces: a dimension set is a record of strings, which an interface is not to TypeScript.
/** A rotation step by what it did and how its secret is rotated: nothing that names a secret or user. */
export type RotationStepDimensions = {
  outcome: 'done' | 'skipped' | 'failed';
  step: RotationStep | 'unknown';
  strategy: Strategy | 'unknown';
  engine: string;
};

/** A Custom::DatabaseUser request by its answer. */
export type CustomResourceRequestDimensions = {
  outcome: 'success' | 'failed';
  requestType: 'Create' | 'Update' | 'Delete';
  engine: string;
};

/** What one drift audit run counts: findings by news, and whether it reached every server. */
export type AuditRunCounts = {
  newFindings: number;
  changedFindings: number;
  openFindings: number;
  resolvedFindings: number;
  incomplete: boolean;
  serversUnreachable: number;
};

/**
 * What a handler counts and times: one event per invocation, a count of 1 and its duration,
 * printed as one EMF line when the invocation ends. Neither call throws: a metric lost is a
 * warning in the log, never a failed rotation or CloudFormation answer.
 */
export interface InvocationMetrics {
  rotationStep(dimensions: RotationStepDimensions, durationMs: number): void;
  customResourceRequest(dimensions: CustomResourceRequestDimensions, durationMs: number): void;
  /** A drift audit run: its counts, without dimensions (what the audit alarms read). */
  auditRun(counts: AuditRunCounts, durationMs: number): void;
  /** Prints what this invocation recorded, and nothing when it recorded nothing. */
  flush(): void;
}

/** An engine name as a dimension: a name dbauth supports, else `unknown` (a tag may say anything). */
export const engineDimension = (name: string | undefined): string =>
  name && findEngine(name) ? name : 'unknown';

/** Powertools Metrics (EMF on stdout, which CloudWatch Logs turns into metrics). */
export class EmfMetrics implements InvocationMetrics {
  readonly #metrics: Metrics;
  readonly #logger: Logger;

  constructor(options: { namespace: string; logger: Logger; metrics?: Metrics }) {
    this.#logger = options.logger;
    this.#metrics = options.metrics ?? new Metrics({ namespace: options.namespace, logger: options.logger });
    // The namespace names the deployment: a `service` dimension would only lengthen every alarm's.
    this.#metrics.clearDefaultDimensions();
  }

  rotationStep(dimensions: RotationStepDimensions, durationMs: number): void {
    this.#record(METRIC_NAMES.rotationSteps, METRIC_NAMES.rotationStepDuration, dimensions, durationMs);
  }

  customResourceRequest(dimensions: CustomResourceRequestDimensions, durationMs: number): void {
    this.#record(
      METRIC_NAMES.customResourceRequests,
      METRIC_NAMES.customResourceRequestDuration,
      dimensions,
      durationMs,
    );
  }

  auditRun(counts: AuditRunCounts, durationMs: number): void {
    try {
      // No dimension: one series per deployment, what the alarms read (never a secret, user or host).
      const add = (name: string, value: number) => this.#metrics.addMetric(name, MetricUnit.Count, value);
      this.#metrics.clearDefaultDimensions();
      this.#metrics.addDimensions({});
      add(METRIC_NAMES.auditNewFindings, counts.newFindings);
      add(METRIC_NAMES.auditChangedFindings, counts.changedFindings);
      add(METRIC_NAMES.auditOpenFindings, counts.openFindings);
      add(METRIC_NAMES.auditResolvedFindings, counts.resolvedFindings);
      add(METRIC_NAMES.auditIncomplete, counts.incomplete ? 1 : 0);
      add(METRIC_NAMES.auditServersUnreachable, counts.serversUnreachable);
      this.#metrics.addMetric(METRIC_NAMES.auditDuration, MetricUnit.Milliseconds, durationMs);
    } catch (error) {
      this.#logger.warn('metric not recorded', {
        metric: METRIC_NAMES.auditNewFindings,
        ...errorDetails(error),
      });
    }
  }

  flush(): void {
    try {
      try {
        if (this.#metrics.hasStoredMetrics()) this.#metrics.publishStoredMetrics();
      } finally {
        // This invocation's outcome and dimension sets, and what a failed record or publish left.
        this.#metrics.clearMetrics();
        this.#metrics.clearDimensions();
        this.#metrics.clearDefaultDimensions();
      }
    } catch (error) {
      this.#logger.warn('metrics not published', errorDetails(error));
    }
  }

  #record(
    count: string,
    duration: string,
    { outcome, ...detail }: { outcome: string } & Record<string, string>,
    durationMs: number,
  ): void {
    try {
      // Two dimension sets: the outcome alone (what alarms read) and the outcome with the rest.
      // The outcome joins both as a default dimension: named in two sets, Powertools warns.
      this.#metrics.setDefaultDimensions({ outcome });
      this.#metrics.addDimensions({});
      this.#metrics.addDimensions(detail);
      this.#metrics.addMetric(count, MetricUnit.Count, 1);
      this.#metrics.addMetric(duration, MetricUnit.Milliseconds, durationMs);
    } catch (error) {
      this.#logger.warn('metric not recorded', { metric: count, ...errorDetails(error) });
    }
  }
}

const NO_METRICS: InvocationMetrics = {
  rotationStep: () => undefined,
  customResourceRequest: () => undefined,
  auditRun: () => undefined,
  flush: () => undefined,
};

/**
 * The metrics of a handler built from `env`. Only a deployment names the namespace
 * (`POWERTOOLS_METRICS_NAMESPACE`, serverless.yml): local runs (scripts, demo, bench) print none.
 */
export function makeMetrics(env: NodeJS.ProcessEnv, logger: Logger): InvocationMetrics {
  const namespace = env.POWERTOOLS_METRICS_NAMESPACE;
  return namespace ? new EmfMetrics({ namespace, logger }) : NO_METRICS;
}
