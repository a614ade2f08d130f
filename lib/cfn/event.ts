import { z } from 'zod';

/** A CloudFormation custom resource request, as CloudFormation sends it to the Lambda. */
export const customResourceEvent = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.url(),
  StackId: z.string().min(1),
  RequestId: z.string().min(1),
  LogicalResourceId: z.string().min(1),
  ResourceType: z.string().min(1),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z.record(z.string(), z.unknown()).default({}),
  OldResourceProperties: z.record(z.string(), z.unknown()).optional(),
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
