import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Options shared by every AWS client: bounded retries and a timeout on every call. */
export interface AwsClientOptions {
  region?: string;
  /** Overrides the service endpoint (tests point this at moto server). */
  endpoint?: string;
  maxAttempts?: number;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export function commonConfig(options: AwsClientOptions) {
  return {
    // Left out, not undefined: the SDK resolves region and endpoint itself from what is not given.
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 10000,
      // Without it the HTTP handler only warns when an answer is late, and waits on.
      throwOnRequestTimeout: true,
    },
  };
}

export const makeSecretsManagerClient = (options: AwsClientOptions = {}) =>
  new SecretsManagerClient(commonConfig(options));

/** What dbauth calls on an RDS or EventBridge client: `send`, so a client that loads late fits. */
export type RdsSender = Pick<RDSClient, 'send'>;
export type EventBridgeSender = Pick<EventBridgeClient, 'send'>;
export type DynamoDbSender = Pick<DynamoDBClient, 'send'>;

/**
 * A client whose SDK package is loaded on the first call, not at cold start: RDS serves only
 * RDS-managed master secrets, and EventBridge only the end of a request.
 */
function lazyClient<C extends { send: (...args: never[]) => unknown }>(
  load: () => Promise<C>,
): Pick<C, 'send'> {
  let client: Promise<C> | undefined;
  const send = async (...args: Parameters<C['send']>) => {
    client ??= load();
    return (await client).send(...args);
  };
  // The SDK's send() is overloaded; forwarding its arguments keeps every overload.
  return { send } as unknown as Pick<C, 'send'>;
}

export const makeRdsClient = (options: AwsClientOptions = {}): RdsSender =>
  lazyClient(async () => new (await import('@aws-sdk/client-rds')).RDSClient(commonConfig(options)));

export const makeEventBridgeClient = (options: AwsClientOptions = {}): EventBridgeSender =>
  lazyClient(
    async () => new (await import('@aws-sdk/client-eventbridge')).EventBridgeClient(commonConfig(options)),
  );

/** DynamoDB: only the drift audit's state table uses it, once per audit run. */
export const makeDynamoDbClient = (options: AwsClientOptions = {}): DynamoDbSender =>
  lazyClient(
    async () => new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient(commonConfig(options)),
  );
