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
