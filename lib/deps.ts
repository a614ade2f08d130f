import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import {
  makeEventBridgeClient,
  makeRdsClient,
  makeSecretsManagerClient,
  type RdsSender,
} from './aws/clients';
import { accountOf } from './aws/arn';
import { settingsFromEnv, type Settings } from './config';
import { EventBridgePublisher, type EventPublisher } from './events/publisher';
import { makeLogger } from './log';
import { makeMetrics, type InvocationMetrics } from './metrics';
import { SecretStore } from './secrets/secret-store';
import type { VersionCache } from './secrets/version-cache';

/**
 * Every setting, client and port dbauth works with: the one dependency type. Each handler
 * declares the `Pick` of it that it takes, and each function in `lib/` the `Pick` it uses,
 * so a test injects real clients (or a part of them) through `makeHandler(deps)`.
 */
export interface Deps extends Settings {
  logger: Logger;
  metrics: InvocationMetrics;
  /** Reports cleanup that failed after an error, which must not hide the error. */
  warn: (message: string, details: Record<string, unknown>) => void;
  store: SecretStore;
  rds: RdsSender;
  /** Where dbauth's events go; publishing never fails the work. */
  publisher: EventPublisher;
  /** The invoked function's account, set per invocation: a master secret named by an ARN must be in it. */
  accountId?: string;
  /** Rotation: values of versions read or put by earlier steps of a warm function; none: read every time. */
  versionCache?: VersionCache;
  /**
   * Custom resource, per request: told the user's id once a Create has made what a Delete must
   * remove, so a response sent at the deadline names it rather than a failed-create id.
   */
  onMade?: (physicalResourceId: string) => void;
  /** Custom resource, per request: told the engine once the master's endpoint says it. */
  onEngine?: (engine: string) => void;
}

/** The dependencies of a deployed handler, built once per container from its environment. */
export function depsFromEnv(env: NodeJS.ProcessEnv = process.env): Deps {
  const settings = settingsFromEnv(env);
  const logger = makeLogger();
  const warn = (message: string, details: Record<string, unknown>) => logger.warn(message, details);
  return {
    ...settings,
    logger,
    metrics: makeMetrics(env, logger),
    warn,
    store: new SecretStore(makeSecretsManagerClient()),
    rds: makeRdsClient(),
    publisher: new EventBridgePublisher(makeEventBridgeClient(), {
      busName: settings.eventBusName,
      onFailure: warn,
    }),
  };
}

/** Puts the invocation's request id and cold start on every log line (when Lambda gave a context). */
export function logInvocation(logger: Logger, context: Partial<Context> | undefined): void {
  if (context?.awsRequestId) logger.addContext(context as Context);
}

/** `deps` for one invocation: with the account of the invoked function, where Lambda says it. */
export function forInvocation<D extends object>(
  deps: D,
  context: Partial<Context> | undefined,
): D & Pick<Deps, 'accountId'> {
  const accountId = accountOf(context?.invokedFunctionArn);
  return accountId ? { ...deps, accountId } : deps;
}
