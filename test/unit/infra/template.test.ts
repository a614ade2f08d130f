import { outDir, packagedTemplate } from '../../support/packaged-template';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Reads the CloudFormation template `npm run package` writes, packaging first when there is no
 * template or serverless.yml changed since: the template is what these tests are about.
 */

type Json = unknown;
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: Json; Export?: { Name: Json } }>;
}
interface Statement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: Json;
  Condition?: Record<string, Record<string, Json>>;
}

const SECRETS_MANAGER_WRITES = [
  'CreateSecret',
  'PutSecretValue',
  'UpdateSecretVersionStage',
  'UpdateSecret',
  'TagResource',
  'UntagResource',
  'DeleteSecret',
  'RestoreSecret',
  'RotateSecret',
  'CancelRotateSecret',
  'PutResourcePolicy',
  'DeleteResourcePolicy',
  'ReplicateSecretToRegions',
  'RemoveRegionsFromReplication',
  'StopReplicationToReplica',
].map((name) => `secretsmanager:${name}`);

const MANAGED_BY = 'dbauth:managed-by';

/** Both alternatives of every Fn::If, so a conditional statement is checked either way. */
function alternatives(value: Json): Json[] {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const fnIf = (value as Record<string, Json>)['Fn::If'];
    if (Array.isArray(fnIf)) return [...alternatives(fnIf[1]), ...alternatives(fnIf[2])];
    if ((value as Record<string, Json>).Ref === 'AWS::NoValue') return [];
  }
  return [value];
}

function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Every IAM statement in the template: inline role policies and standalone policies. */
function statementsOf(template: Template): Array<{ where: string; statement: Statement }> {
  const found: Array<{ where: string; statement: Statement }> = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const documents: Array<{ name: string; document: Json }> = [];
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of asList(resource.Properties?.Policies as Json[] | undefined).flatMap(
        alternatives,
      )) {
        const { PolicyName, PolicyDocument } = policy as { PolicyName: string; PolicyDocument: Json };
        documents.push({ name: `${id}/${PolicyName}`, document: PolicyDocument });
      }
    }
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push({ name: id, document: resource.Properties?.PolicyDocument });
    }
    for (const { name, document } of documents) {
      const statements = asList((document as { Statement?: Json | Json[] }).Statement).flatMap(alternatives);
      for (const statement of statements) found.push({ where: name, statement: statement as Statement });
    }
  }
  return found;
}

function matches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return regex.test(action);
}

/** The actions of `candidates` that an Allow statement grants (Action or NotAction). */
function granted(statement: Statement, candidates: string[]): string[] {
  if (statement.Effect !== 'Allow') return [];
  if (statement.NotAction !== undefined) {
    const excluded = asList(statement.NotAction);
    return candidates.filter((action) => !excluded.some((pattern) => matches(pattern, action)));
  }
  const actions = asList(statement.Action);
  return candidates.filter((action) => actions.some((pattern) => matches(pattern, action)));
}

function conditionKeys(statement: Statement): string[] {
  return Object.values(statement.Condition ?? {}).flatMap((operands) =>
    Object.keys(operands).map((key) => key.toLowerCase()),
  );
}

function hasTagCondition(
  statement: Statement,
  kind: 'ResourceTag' | 'RequestTag',
  tag: string = MANAGED_BY,
): boolean {
  return conditionKeys(statement).includes(`aws:${kind}/${tag}`.toLowerCase());
}

function functionIdByHandler(template: Template, handler: string): string {
  const ids = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Handler === handler)
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

function refersTo(value: Json, logicalId: string): boolean {
  if (!value || typeof value !== 'object') return false;
  const record = value as Record<string, Json>;
  if (record.Ref === logicalId) return true;
  const getAtt = record['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[0] === logicalId;
}

let template: Template;

beforeAll(() => {
  template = packagedTemplate<Template>();
}, 300_000);

describe('packaged CloudFormation template', () => {
  it('grants no Secrets Manager write on every resource ("*") without a managed-by tag condition', () => {
    const offending = statementsOf(template).filter(
      ({ statement }) =>
        granted(statement, SECRETS_MANAGER_WRITES).length > 0 &&
        asList(statement.Resource).includes('*') &&
        !hasTagCondition(statement, 'ResourceTag') &&
        !hasTagCondition(statement, 'RequestTag'),
    );
    expect(offending).toEqual([]);
  });

  it('limits every Secrets Manager write to secrets tagged dbauth:managed-by (or dbauth:master, for the event path)', () => {
    const writes = statementsOf(template).filter(
      ({ statement }) => granted(statement, SECRETS_MANAGER_WRITES).length > 0,
    );
    expect(writes.length).toBeGreaterThan(0);
    const untagged = writes.filter(
      ({ statement, where }) =>
        !hasTagCondition(statement, 'ResourceTag') &&
        !hasTagCondition(statement, 'RequestTag') &&
        // Only the secret events function acts on secrets that asked for dbauth by their tag.
        !(
          where.startsWith('SecretEventsRole/') && hasTagCondition(statement, 'ResourceTag', 'dbauth:master')
        ),
    );
    expect(untagged).toEqual([]);
  });

  it('allows CreateSecret only with a dbauth:managed-by request tag', () => {
    const creates = statementsOf(template).filter(
      ({ statement }) => granted(statement, ['secretsmanager:CreateSecret']).length > 0,
    );
    expect(creates.length).toBeGreaterThan(0);
    for (const { statement } of creates) expect(hasTagCondition(statement, 'RequestTag')).toBe(true);
  });

  it('lets Secrets Manager of this account invoke the rotation function', () => {
    const rotateId = functionIdByHandler(template, 'handlers/rotate.handler');
    const permissions = Object.values(template.Resources).filter(
      (r) =>
        r.Type === 'AWS::Lambda::Permission' &&
        r.Properties?.Principal === 'secretsmanager.amazonaws.com' &&
        r.Properties?.Action === 'lambda:InvokeFunction' &&
        refersTo(r.Properties?.FunctionName, rotateId),
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.Properties?.SourceAccount).toEqual({ Ref: 'AWS::AccountId' });
  });

  it('exports the service token and the rotation function ARN', () => {
    const outputs = template.Outputs ?? {};
    const customResourceId = functionIdByHandler(template, 'handlers/custom-resource.handler');
    const rotateId = functionIdByHandler(template, 'handlers/rotate.handler');
    expect(refersTo(outputs.CustomResourceServiceToken?.Value, customResourceId)).toBe(true);
    expect(outputs.CustomResourceServiceToken?.Export?.Name).toBe('dbauth-dev-ServiceToken');
    expect(refersTo(outputs.RotationFunctionArn?.Value, rotateId)).toBe(true);
    expect(outputs.RotationFunctionArn?.Export?.Name).toBe('dbauth-dev-RotationFunctionArn');
  });

  it('gives each function its own zip holding its own handler, and its own role', () => {
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(2);
    const zips = functions.map((fn) => basename(String((fn.Properties?.Code as { S3Key?: Json }).S3Key)));
    expect(new Set(zips).size).toBe(functions.length);
    functions.forEach((fn, index) => {
      const zip = readFileSync(join(outDir, zips[index] as string));
      const handlerFile = String(fn.Properties?.Handler).replace(/\.[^.]+$/, '.js');
      // Zip entry names are stored uncompressed, so the handler's file name is in the bytes.
      expect(zip.includes(handlerFile)).toBe(true);
    });
    const roles = functions.map((fn) => JSON.stringify(fn.Properties?.Role));
    expect(new Set(roles).size).toBe(functions.length);
  });

  it('raises an alarm when any function fails, and when a rotation step fails', () => {
    const resources = Object.entries(template.Resources);
    const alarms = resources
      .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties ?? {});
    const functionIds = resources.filter(([, r]) => r.Type === 'AWS::Lambda::Function').map(([id]) => id);
    expect(functionIds.length).toBeGreaterThanOrEqual(3);
    for (const id of functionIds) {
      const errorsAlarm = alarms.filter(
        (a) =>
          a.Namespace === 'AWS/Lambda' &&
          a.MetricName === 'Errors' &&
          JSON.stringify(a.Dimensions).includes(JSON.stringify({ Ref: id })),
      );
      expect({ id, alarms: errorsAlarm.length }).toEqual({ id, alarms: 1 });
    }
    // The rotate function's log lines "step failed" become a metric with an alarm of its own.
    const rotateLogGroup = resources.find(
      ([id, r]) => r.Type === 'AWS::Logs::LogGroup' && id.toLowerCase().startsWith('rotate'),
    )?.[0];
    const filters = resources
      .filter(([, r]) => r.Type === 'AWS::Logs::MetricFilter')
      .map(([, r]) => r.Properties ?? {})
      .filter(
        (f) =>
          refersTo(f.LogGroupName, rotateLogGroup ?? '') && String(f.FilterPattern).includes('step failed'),
      );
    expect(filters).toHaveLength(1);
    const metric = (filters[0]?.MetricTransformations as { MetricName: string }[])[0]?.MetricName;
    expect(alarms.filter((a) => a.MetricName === metric)).toHaveLength(1);
  });
});
