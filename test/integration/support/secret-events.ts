import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeHandler, type SecretEventsDeps } from '../../../handlers/secret-events';
import { testDeps } from './deps';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'eventbridge');

export const EVENT_FIXTURES = [
  'create-secret',
  'tag-resource',
  'untag-resource',
  'rotation-failed',
  'rotation-abandoned',
  'secret-label-updated',
  'lookalike-other-service',
  'lookalike-other-event-name',
  'lookalike-create-without-dbauth-tags',
  'lookalike-untag-other-tags',
  'lookalike-label-other',
] as const;
export type EventFixture = (typeof EVENT_FIXTURES)[number];

/** A real-shaped EventBridge event from its fixture, about the test's secret and master. */
export function secretEvent(
  fixture: EventFixture,
  values: { secretArn: string; secretName?: string; masterArn?: string },
): Record<string, unknown> {
  const text = readFileSync(join(FIXTURES, `${fixture}.json`), 'utf8')
    .replaceAll('{{secretArn}}', values.secretArn)
    .replaceAll('{{secretName}}', values.secretName ?? values.secretArn)
    .replaceAll('{{masterArn}}', values.masterArn ?? '');
  return JSON.parse(text) as Record<string, unknown>;
}

/** The secret events function's dependencies: real clients pointed at the local services. */
export function secretEventsDeps(
  options: { busName?: string; rotationLambdaArn?: string; env?: NodeJS.ProcessEnv } = {},
): SecretEventsDeps {
  return {
    // moto turns RotationEnabled on only for a number of days.
    ...testDeps({
      env: { DBAUTH_DEFAULT_ROTATION_SCHEDULE: '30', ...options.env },
      busName: options.busName,
    }),
    // Absent, not undefined: it would erase an ARN that `env` set.
    ...(options.rotationLambdaArn ? { rotationLambdaArn: options.rotationLambdaArn } : {}),
  };
}

export const secretEventsHandler = (options: Parameters<typeof secretEventsDeps>[0] = {}) =>
  makeHandler(secretEventsDeps(options));
