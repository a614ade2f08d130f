import { InvalidInputError } from '../errors';
import * as z from 'zod/mini';

const nonEmpty = z.string().check(z.minLength(1));

/** A CloudFormation custom resource request, as CloudFormation sends it to the Lambda. */
export const customResourceEvent = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.url(),
  StackId: nonEmpty,
  RequestId: nonEmpty,
  LogicalResourceId: nonEmpty,
  ResourceType: nonEmpty,
  PhysicalResourceId: z.optional(z.string()),
  ResourceProperties: z._default(z.record(z.string(), z.unknown()), {}),
  OldResourceProperties: z.optional(z.record(z.string(), z.unknown())),
});
export type CustomResourceEvent = z.infer<typeof customResourceEvent>;

/** Enough of a request to answer it, when the rest is malformed. */
const answerableEvent = z.object({
  ResponseURL: z.url(),
  StackId: nonEmpty,
  RequestId: nonEmpty,
  LogicalResourceId: nonEmpty,
  RequestType: z.optional(z.string()),
  PhysicalResourceId: z.optional(z.string()),
});

/** The fields a request failed `customResourceEvent` on, by name only (never their values). */
export function malformedFields(error: {
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey> }>;
}): string[] {
  return [...new Set(error.issues.map((issue) => issue.path.map(String).join('.') || '(request)'))];
}

/** What a request's work comes to, before it is told to CloudFormation. */
export interface Outcome {
  physicalResourceId: string;
  data?: Record<string, string>;
}

/** The body CloudFormation expects at the ResponseURL. */
export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  NoEcho: boolean;
  Data?: Record<string, string>;
}

/**
 * A malformed request that still says where to answer gets FAILED there, so its stack does not
 * wait an hour; without a ResponseURL there is no one to answer, and the invocation fails.
 */
export function answerableRequest(rawEvent: unknown): CustomResourceEvent {
  const answerable = answerableEvent.safeParse(rawEvent);
  if (!answerable.success) throw new InvalidInputError('not a CloudFormation custom resource request');
  const { RequestType, ...rest } = answerable.data;
  return {
    ...rest,
    // Only what decides the PhysicalResourceId of the answer: a failed Create made nothing.
    RequestType: RequestType === 'Update' || RequestType === 'Delete' ? RequestType : 'Create',
    ResourceType: 'Custom::DatabaseUser',
    ResourceProperties: {},
  };
}
