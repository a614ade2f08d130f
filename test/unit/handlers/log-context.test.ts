import type { Context } from 'aws-lambda';
import { makeHandler, type SecretEventsDeps } from '../../../handlers/secret-events';
import { logInvocation } from '../../../lib/deps';
import { makeLogger } from '../../../lib/log';

/** Log lines the logger wrote to stdout during `act`, parsed. */
async function linesOf(act: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await act();
  } finally {
    spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const contextOf = (awsRequestId: string): Context =>
  ({
    awsRequestId,
    functionName: 'dbauth-dev-secretEvents',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:dbauth-dev-secretEvents',
    memoryLimitInMB: '256',
    getRemainingTimeInMillis: () => 60_000,
  }) as unknown as Context;

// An EventBridge event the secret events function recognises and ignores: it touches no AWS API.
const ignoredEvent = {
  version: '0',
  id: 'e0b5d9a2-0000-4000-8000-000000000000',
  source: 'aws.secretsmanager',
  account: '123456789012',
  time: '2026-11-28T12:00:00Z',
  region: 'us-east-1',
  resources: [],
  'detail-type': 'Something Else',
  detail: {},
};

describe('log lines carry the Lambda invocation', () => {
  const initType = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  beforeAll(() => {
    // Lambda sets it; powertools reports a cold start only for on-demand environments.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  });
  afterAll(() => {
    if (initType === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = initType;
  });

  it('tags each invocation of the secret events handler with its request id, and only the first as cold', async () => {
    const logger = makeLogger();
    const handler = makeHandler({
      logger,
      timeouts: { connectMs: 1000, statementMs: 1000 },
      deadlineMarginMs: 1000,
    } as unknown as SecretEventsDeps);

    const first = await linesOf(() => handler(ignoredEvent, contextOf('request-1')));
    const second = await linesOf(() => handler(ignoredEvent, contextOf('request-2')));

    expect(first.length).toBeGreaterThan(0);
    for (const line of first)
      expect(line).toMatchObject({ function_request_id: 'request-1', cold_start: true });
    expect(second.length).toBeGreaterThan(0);
    for (const line of second) {
      expect(line).toMatchObject({ function_request_id: 'request-2', cold_start: false });
    }
  });

  it('still logs when a caller gives no context (tests, scripts)', async () => {
    const logger = makeLogger();

    const lines = await linesOf(async () => {
      logInvocation(logger, undefined);
      logger.info('no context');
    });

    expect(lines).toEqual([expect.objectContaining({ message: 'no context' })]);
    expect(lines[0]).not.toHaveProperty('function_request_id');
  });
});
