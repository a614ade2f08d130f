// `npm run audit -- --invoke <function>`: the deployed audit function runs the audit (it reaches
// databases in a VPC that this machine cannot) and answers its report, which the CLI renders.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { AuditError } from '../lib/audit/errors';
import type { AuditReport } from '../lib/audit/report';
import { commonConfig } from '../lib/aws/clients';

/** What the CLI asks of the function: never to publish (a person is looking at the answer). */
export interface InvokedAudit {
  secretIds?: string[];
  repair: boolean;
}

export async function invokeAudit(functionName: string, request: InvokedAudit): Promise<AuditReport> {
  // A whole audit may take the function's 900 s: the call waits as long, and is not retried.
  const client = new LambdaClient(commonConfig({ maxAttempts: 1, requestTimeoutMs: 905_000 }));
  const out = await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      Payload: Buffer.from(JSON.stringify({ ...request, publish: false })),
    }),
  );
  const text = Buffer.from(out.Payload ?? []).toString('utf8');
  if (out.FunctionError)
    throw new AuditError(`the audit function failed (${out.FunctionError}); its log says why`);
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new AuditError('the audit function answered something that is not JSON');
  }
  const report = answer as Partial<AuditReport> | null;
  if (!report || typeof report !== 'object' || !Array.isArray(report.servers) || !report.summary) {
    // Key names only: an answer is not ours to print.
    const keys = report && typeof report === 'object' ? Object.keys(report).sort().join(', ') : typeof report;
    throw new AuditError(
      `the audit function answered {${keys}}, not an audit report: is ${functionName} dbauth's audit function?`,
    );
  }
  return report as AuditReport;
}
