import { CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { testEnv } from './env';

const options = { endpoint: testEnv.aws.endpoint, region: testEnv.aws.region };
const FUNCTION_NAME = 'dbauth-test-rotate';
const ROLE_NAME = 'dbauth-test-rotate-role';

// An empty zip archive: moto stores the code and, without Docker, never runs it.
const EMPTY_ZIP = Buffer.from('504b0506' + '00'.repeat(18), 'hex');

async function roleArn(iam: IAMClient): Promise<string> {
  try {
    return (await iam.send(new GetRoleCommand({ RoleName: ROLE_NAME }))).Role?.Arn ?? '';
  } catch {
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: ROLE_NAME,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    return created.Role?.Arn ?? '';
  }
}

/**
 * A rotation function registered in moto, so that RotateSecret with its ARN is accepted.
 * moto is told not to use Docker: the test invocation RotateSecret makes gets a canned reply,
 * and tests run the real rotation in-process instead.
 */
export async function motoRotationFunctionArn(): Promise<string> {
  await fetch(`${testEnv.aws.endpoint}/moto-api/config`, {
    method: 'POST',
    body: JSON.stringify({ lambda: { use_docker: false } }),
  });
  const lambda = new LambdaClient(options);
  try {
    return (
      (await lambda.send(new GetFunctionCommand({ FunctionName: FUNCTION_NAME }))).Configuration
        ?.FunctionArn ?? ''
    );
  } catch {
    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: FUNCTION_NAME,
        Runtime: 'nodejs20.x',
        Handler: 'rotate.handler',
        Role: await roleArn(new IAMClient(options)),
        Code: { ZipFile: EMPTY_ZIP },
      }),
    );
    return created.FunctionArn ?? '';
  }
}
