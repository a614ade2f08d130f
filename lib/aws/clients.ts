import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RDSClient } from '@aws-sdk/client-rds';
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

function commonConfig(options: AwsClientOptions) {
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 10000,
    },
  };
}

export const makeSecretsManagerClient = (options: AwsClientOptions = {}) =>
  new SecretsManagerClient(commonConfig(options));

export const makeRdsClient = (options: AwsClientOptions = {}) => new RDSClient(commonConfig(options));

export const makeEventBridgeClient = (options: AwsClientOptions = {}) =>
  new EventBridgeClient(commonConfig(options));
