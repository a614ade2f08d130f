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

/** What every handler is built from: settings, a logger, metrics, and the AWS ports. */
export interface CommonDeps extends Settings {
  logger: Logger;
  metrics: InvocationMetrics;
  warn: (message: string, details: Record<string, unknown>) => void;
  store: SecretStore;
  rds: RdsSender;
  publisher: EventPublisher;
}

/** The dependencies of a deployed handler, built once per container from its environment. */
export function commonDeps(env: NodeJS.ProcessEnv = process.env): CommonDeps {
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
      ...(settings.eventBusName ? { busName: settings.eventBusName } : {}),
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
): D & { accountId?: string } {
  const accountId = accountOf(context?.invokedFunctionArn);
  return accountId ? { ...deps, accountId } : deps;
}
