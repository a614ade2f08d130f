import * as z from 'zod/mini';
import { MalformedEventError } from './errors';

/**
 * What an incoming event asks of dbauth. The event only says which secret to look at: what
 * to do is decided from the secret's state as DescribeSecret tells it now, so replayed,
 * duplicated or out-of-order events change nothing.
 */
export type SecretSignal =
  | { kind: 'reconcile'; secretId: string; cause: string }
  | { kind: 'rotation-failed'; secretId: string; cause: string }
  | { kind: 'current-moved'; secretId: string; cause: string }
  | { kind: 'ignore'; reason: string };

const envelope = z.object({
  source: z.literal('aws.secretsmanager'),
  'detail-type': z.string(),
  resources: z.optional(z.array(z.string())),
  detail: z.record(z.string(), z.unknown()),
});

const tag = z.object({ key: z.string(), value: z.optional(z.string()) });

// CloudTrail writes the request in camelCase; some older records spell the ARN "aRN".
const apiCall = z.object({
  eventSource: z.literal('secretsmanager.amazonaws.com'),
  eventName: z.string(),
  errorCode: z.optional(z.string()),
  requestParameters: z.nullish(
    z.object({
      secretId: z.optional(z.string()),
      name: z.optional(z.string()),
      tags: z.optional(z.array(tag)),
      tagKeys: z.optional(z.array(z.string())),
    }),
  ),
  responseElements: z.nullish(z.object({ arn: z.optional(z.string()), aRN: z.optional(z.string()) })),
});

const serviceEvent = z.object({
  eventSource: z.literal('secretsmanager.amazonaws.com'),
  eventName: z.string(),
  additionalEventData: z.nullish(z.object({ SecretId: z.string() })),
});

const labelUpdated = z.object({
  name: z.string(),
  labelUpdated: z.string(),
  versionId: z.optional(z.string()),
});

function fromApiCall(detail: unknown): SecretSignal {
  const call = apiCall.safeParse(detail);
  if (!call.success) throw new MalformedEventError('an API call event without the CloudTrail fields');
  const { eventName, errorCode, requestParameters, responseElements } = call.data;
  if (errorCode) return { kind: 'ignore', reason: `${eventName} failed (${errorCode.slice(0, 60)})` };
  if (!['CreateSecret', 'TagResource', 'UntagResource'].includes(eventName))
    return { kind: 'ignore', reason: `${eventName} is not an event dbauth acts on` };
  const secretId =
    responseElements?.arn ?? responseElements?.aRN ?? requestParameters?.secretId ?? requestParameters?.name;
  if (!secretId) throw new MalformedEventError(`${eventName} names no secret`);
  return { kind: 'reconcile', secretId, cause: eventName };
}

function fromServiceEvent(detail: unknown): SecretSignal {
  const event = serviceEvent.safeParse(detail);
  if (!event.success) throw new MalformedEventError('a service event without the CloudTrail fields');
  const { eventName, additionalEventData } = event.data;
  if (!['RotationFailed', 'RotationAbandoned'].includes(eventName))
    return { kind: 'ignore', reason: `${eventName} is not an event dbauth acts on` };
  if (!additionalEventData) throw new MalformedEventError(`${eventName} names no secret`);
  return { kind: 'rotation-failed', secretId: additionalEventData.SecretId, cause: eventName };
}

function fromLabelUpdated(detail: unknown, resources: string[]): SecretSignal {
  const event = labelUpdated.safeParse(detail);
  if (!event.success) throw new MalformedEventError('a Secret Label Updated event without its fields');
  if (event.data.labelUpdated !== 'AWSCURRENT')
    return { kind: 'ignore', reason: `label ${event.data.labelUpdated.slice(0, 60)} moved` };
  return { kind: 'current-moved', secretId: resources[0] ?? event.data.name, cause: 'Secret Label Updated' };
}

/** Reads an EventBridge event from Secrets Manager (CloudTrail-derived or native). */
export function signalOf(raw: unknown): SecretSignal {
  const parsed = envelope.safeParse(raw);
  if (!parsed.success) throw new MalformedEventError('expected an EventBridge event from aws.secretsmanager');
  const { detail, resources = [] } = parsed.data;
  switch (parsed.data['detail-type']) {
    case 'AWS API Call via CloudTrail':
      return fromApiCall(detail);
    case 'AWS Service Event via CloudTrail':
      return fromServiceEvent(detail);
    case 'Secret Label Updated':
      return fromLabelUpdated(detail, resources);
    default:
      return { kind: 'ignore', reason: `detail-type ${parsed.data['detail-type'].slice(0, 60)}` };
  }
}
