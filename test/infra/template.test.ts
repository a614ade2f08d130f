import { outDir, packagedTemplate, root } from '../support/packaged-template';
import { emfDocuments, printedBy } from '../support/emf';
import { DEFAULT_SECRET_NAME_PREFIX } from '../../lib/config';
import { makeLogger } from '../../lib/log';
import { EmfMetrics, type InvocationMetrics } from '../../lib/metrics';
import { TAGS } from '../../lib/secrets/tags';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Reads the CloudFormation template `npm run package` writes, packaging first when there is no
 * template or its sources changed since (serverless.yml, handlers/ with the resource files in
 * handlers/resources/, lib/): the template is what these tests are about.
 */

type Json = unknown;
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
}
interface Template {
  Parameters?: Record<string, { Default?: Json; AllowedPattern?: string }>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: Json; Export?: { Name: Json } }>;
}
interface Statement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: Json;
  NotResource?: Json;
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

// The tags IAM conditions name are the tags the code reads: a renamed tag fails here.
const MANAGED_BY = TAGS.managedBy;
const MASTER = TAGS.master;
/** Tags a master secret's owner adds to let dbauth read it: for stacks, for tagged secrets. */
const CONSENT_TAGS: string[] = [TAGS.allowStacks, TAGS.allowSecrets];

/** What `Fn::Sub` makes of a secret ARN in this account and region, up to the secret's name. */
const SECRET_ARN = 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:';
// An account to resolve the template's ARNs in, and secrets inside and outside the default prefix.
const PSEUDO_PARAMETERS = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
};
const secretArn = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;
const OWN_SECRET = secretArn('dbauth/orders/AppUser');
const OTHER_SECRETS = ['prod/orders/master', 'dbauth-orders/app', 'orders/dbauth/app', 'rds!db-0123'].map(
  secretArn,
);

// Actions IAM authorises on no resource (the service authorisation reference lists none for
// them), so "*" is the only Resource they take. BatchGetSecretValue checks GetSecretValue on
// every secret it returns.
const RESOURCELESS_ACTIONS = [
  'secretsmanager:GetRandomPassword',
  'secretsmanager:ListSecrets',
  'secretsmanager:BatchGetSecretValue',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
];

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

/**
 * Whether the statement applies only while the tag is present: `Null` false, or a value the tag
 * must equal or match. (A negated or IfExists operator also holds when the tag is missing.)
 */
function requiresTag(statement: Statement, kind: 'ResourceTag' | 'RequestTag', tag: string): boolean {
  const key = `aws:${kind}/${tag}`.toLowerCase();
  return Object.entries(statement.Condition ?? {}).some(([operator, operands]) =>
    Object.entries(operands).some(
      ([name, value]) =>
        name.toLowerCase() === key &&
        (operator === 'Null' ? String(value) === 'false' : ['StringEquals', 'StringLike'].includes(operator)),
    ),
  );
}

/** The one resource tag among `tags` the statement requires ('' for none); fails on two. */
function requiredResourceTag(statement: Statement, tags: string[]): string {
  const required = tags.filter((tag) => requiresTag(statement, 'ResourceTag', tag));
  expect(required.length).toBeLessThanOrEqual(1);
  return required[0] ?? '';
}

/** Whether a Resource names secrets under SecretNamePrefix only: `Fn::Sub` of `…:secret:${SecretNamePrefix}…`. */
function underPrefix(resource: Json): boolean {
  const sub =
    resource && typeof resource === 'object' ? (resource as Record<string, Json>)['Fn::Sub'] : undefined;
  return typeof sub === 'string' && sub.startsWith(`${SECRET_ARN}\${SecretNamePrefix}`);
}

/**
 * The ARN patterns of a statement's resources, with `Fn::Sub` resolved from `values`. Anything
 * else it cannot read (a Ref, Fn::Join, a NotResource) counts as "*", so it never narrows a grant.
 */
function resourcePatterns(statement: Statement, values: Record<string, string>): string[] {
  if (statement.NotResource !== undefined) return ['*'];
  return asList(statement.Resource).map((resource) => {
    if (typeof resource === 'string') return resource;
    const sub =
      resource && typeof resource === 'object' ? (resource as Record<string, Json>)['Fn::Sub'] : undefined;
    if (typeof sub !== 'string') return '*';
    return sub.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`no value for \${${name}} in ${sub}`);
      return value;
    });
  });
}

/** IAM's resource match: case-sensitive, `*` any run of characters, `?` any one. */
function resourceMatches(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(arn);
}

/** The statements that allow `action` on the secret `arn`, whatever their conditions. */
function allowing(
  template: Template,
  action: string,
  arn: string,
): Array<{ where: string; statement: Statement }> {
  const values = {
    ...PSEUDO_PARAMETERS,
    SecretNamePrefix: String(template.Parameters?.SecretNamePrefix?.Default),
  };
  return statementsOf(template).filter(
    ({ statement }) =>
      granted(statement, [action]).length > 0 &&
      resourcePatterns(statement, values).some((pattern) => resourceMatches(pattern, arn)),
  );
}

function functionIdByHandler(template: Template, handler: string): string {
  const ids = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Handler === handler)
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

/** The logical id of the role the function of `handler` runs with. */
function roleOf(template: Template, handler: string): string {
  const fn = template.Resources[functionIdByHandler(template, handler)];
  return JSON.stringify(fn?.Properties?.Role).match(/"([A-Za-z0-9]+Role)"/)?.[1] ?? '';
}

function refersTo(value: Json, logicalId: string): boolean {
  if (!value || typeof value !== 'object') return false;
  const record = value as Record<string, Json>;
  if (record.Ref === logicalId) return true;
  const getAtt = record['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[0] === logicalId;
}

function resourcesOfType(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/**
 * The one alarm on the failures the function of `handler` counts in its own metrics (EMF,
 * lib/metrics.ts). `recordFailure` records one through the code, so the alarm must read a
 * metric, dimension set and value the code prints, in the namespace the function prints to;
 * and no log metric filter may be left counting the same failures a second time.
 */
function alarmOnOwnFailures(
  template: Template,
  handler: string,
  recordFailure: (metrics: InvocationMetrics) => void,
): Record<string, Json> {
  const functionId = functionIdByHandler(template, handler);
  const { Variables } = template.Resources[functionId]?.Properties?.Environment as {
    Variables: Record<string, Json>;
  };
  const namespace = Variables.POWERTOOLS_METRICS_NAMESPACE;
  expect({ functionId, namespace }).toEqual({ functionId, namespace: { 'Fn::Sub': 'dbauth/${NamePrefix}' } });

  const metrics = new EmfMetrics({ namespace: 'dbauth/template-test', logger: makeLogger('dbauth-test') });
  const [printed] = emfDocuments(
    printedBy(() => {
      recordFailure(metrics);
      metrics.flush();
    }),
  );
  const directive = printed?._aws.CloudWatchMetrics[0];
  const count = directive?.Metrics.find((metric) => metric.Unit === 'Count')?.Name;
  const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm')
    .map(([, r]) => r.Properties ?? {})
    .filter((a) => a.MetricName === count && JSON.stringify(a.Namespace) === JSON.stringify(namespace));
  expect({ count, alarms: alarms.length }).toEqual({ count, alarms: 1 });
  const alarm = alarms[0] as Record<string, Json>;

  // CloudWatch matches an alarm's dimensions exactly: they must be one set the code prints,
  // with the values of a failure.
  const dimensions = (alarm.Dimensions ?? []) as Array<{ Name: string; Value: string }>;
  const sorted = (names: string[]) => [...names].sort();
  expect(directive?.Dimensions.map(sorted)).toContainEqual(sorted(dimensions.map((d) => d.Name)));
  for (const { Name, Value } of dimensions) expect({ Name, Value }).toEqual({ Name, Value: printed?.[Name] });
  expect(alarm).toMatchObject({
    Statistic: 'Sum',
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  });

  const logGroupId = functionId.replace(/LambdaFunction$/, 'LogGroup');
  const filters = resourcesOfType(template, 'AWS::Logs::MetricFilter').filter(([, r]) =>
    refersTo(r.Properties?.LogGroupName, logGroupId),
  );
  expect({ logGroupId, filters: filters.map(([id]) => id) }).toEqual({ logGroupId, filters: [] });
  return alarm;
}

let template: Template;

beforeAll(() => {
  template = packagedTemplate<Template>();
}, 300_000);

describe('packaged CloudFormation template', () => {
  it('writes Secrets Manager only under SecretNamePrefix', () => {
    const writes = statementsOf(template).filter(
      ({ statement }) => granted(statement, SECRETS_MANAGER_WRITES).length > 0,
    );
    expect(writes.length).toBeGreaterThan(0);
    for (const { where, statement } of writes) {
      const resources = asList(statement.Resource);
      expect({
        where,
        notResource: statement.NotResource,
        outside: resources.filter((r) => !underPrefix(r)),
      }).toEqual({ where, notResource: undefined, outside: [] });
      expect(resources.length).toBeGreaterThan(0);
    }
  });

  it('can neither create, tag nor otherwise write a secret outside the prefix (the default, dbauth/)', () => {
    for (const action of SECRETS_MANAGER_WRITES) {
      for (const arn of OTHER_SECRETS) {
        expect({ action, arn, allowing: allowing(template, action, arn) }).toEqual({
          action,
          arn,
          allowing: [],
        });
      }
    }
    // Inside the prefix they are granted: the resolution above really matches dbauth's own secrets.
    for (const action of ['CreateSecret', 'TagResource', 'PutSecretValue'].map(
      (a) => `secretsmanager:${a}`,
    )) {
      expect({ action, allowed: allowing(template, action, OWN_SECRET).length > 0 }).toEqual({
        action,
        allowed: true,
      });
    }
  });

  it('limits every Secrets Manager write to secrets tagged dbauth:managed-by (or dbauth:master, for the event path)', () => {
    const writes = statementsOf(template).filter(
      ({ statement }) => granted(statement, SECRETS_MANAGER_WRITES).length > 0,
    );
    expect(writes.length).toBeGreaterThan(0);
    const untagged = writes.filter(
      ({ statement, where }) =>
        !requiresTag(statement, 'ResourceTag', MANAGED_BY) &&
        !requiresTag(statement, 'RequestTag', MANAGED_BY) &&
        // Only the secret events function acts on secrets that asked for dbauth by their tag.
        !(where.startsWith('SecretEventsRole/') && requiresTag(statement, 'ResourceTag', MASTER)),
    );
    expect(untagged).toEqual([]);
  });

  it('allows CreateSecret only under SecretNamePrefix and with a dbauth:managed-by request tag', () => {
    const creates = statementsOf(template).filter(
      ({ statement }) => granted(statement, ['secretsmanager:CreateSecret']).length > 0,
    );
    expect(creates.length).toBeGreaterThan(0);
    for (const { where, statement } of creates) {
      expect({ where, tagged: requiresTag(statement, 'RequestTag', MANAGED_BY) }).toEqual({
        where,
        tagged: true,
      });
      expect({ where, prefixed: asList(statement.Resource).every(underPrefix) }).toEqual({
        where,
        prefixed: true,
      });
    }
  });

  it('reads no secret value outside SecretNamePrefix unless the secret carries a consent tag', () => {
    const reads = statementsOf(template).filter(
      ({ statement }) => granted(statement, ['secretsmanager:GetSecretValue']).length > 0,
    );
    expect(reads.length).toBeGreaterThan(0);
    const unconsented = reads.filter(
      ({ statement }) =>
        (statement.NotResource !== undefined || !asList(statement.Resource).every(underPrefix)) &&
        requiredResourceTag(statement, CONSENT_TAGS) === '',
    );
    expect(unconsented).toEqual([]);
    // The same, resolved: no statement without a consent tag reads a secret outside the prefix.
    for (const arn of OTHER_SECRETS) {
      const unconditioned = allowing(template, 'secretsmanager:GetSecretValue', arn).filter(
        ({ statement }) => requiredResourceTag(statement, CONSENT_TAGS) === '',
      );
      expect({ arn, unconditioned }).toEqual({ arn, unconditioned: [] });
    }
  });

  it('lets each function read the values of its own secrets and of the masters that consent to its path', () => {
    const expected = [
      // A SecretName is looked up before the secret exists, so before it has tags.
      { handler: 'handlers/custom-resource.handler', own: [''], masters: [TAGS.allowStacks] },
      // Alternating users read the master of a user made by either path.
      {
        handler: 'handlers/rotate.handler',
        own: [MANAGED_BY],
        masters: [TAGS.allowStacks, TAGS.allowSecrets],
      },
      { handler: 'handlers/secret-events.handler', own: [MASTER], masters: [TAGS.allowSecrets] },
      // The audit reads what rotation reads: the managed secrets and the masters of both paths.
      {
        handler: 'handlers/audit.handler',
        own: [MANAGED_BY],
        masters: [TAGS.allowStacks, TAGS.allowSecrets],
      },
    ];
    for (const { handler, own, masters } of expected) {
      const role = roleOf(template, handler);
      const reads = statementsOf(template).filter(
        ({ where, statement }) =>
          where.startsWith(`${role}/`) && granted(statement, ['secretsmanager:GetSecretValue']).length > 0,
      );
      const tagsOf = (prefixed: boolean) =>
        reads
          .filter(({ statement }) => asList(statement.Resource).every(underPrefix) === prefixed)
          .map(({ statement }) => requiredResourceTag(statement, [MANAGED_BY, MASTER, ...CONSENT_TAGS]))
          .sort();
      // Tags and metadata of any secret, never its value: the code names the consent tag to add.
      const describesAny = OTHER_SECRETS.every((arn) =>
        allowing(template, 'secretsmanager:DescribeSecret', arn).some(
          ({ where, statement }) => where.startsWith(`${role}/`) && statement.Condition === undefined,
        ),
      );
      expect({ handler, own: tagsOf(true), masters: tagsOf(false), describesAny }).toEqual({
        handler,
        own,
        masters: [...masters].sort(),
        describesAny: true,
      });
    }
  });

  it('passes SecretNamePrefix (default dbauth/, no wildcard) to every function as DBAUTH_SECRET_NAME_PREFIX', () => {
    const parameter = template.Parameters?.SecretNamePrefix;
    expect({ template: parameter?.Default, code: DEFAULT_SECRET_NAME_PREFIX }).toEqual({
      template: 'dbauth/',
      code: 'dbauth/',
    });
    const pattern = new RegExp(String(parameter?.AllowedPattern));
    for (const prefix of ['dbauth/', 'teams/orders_db-1/', 'a'])
      expect({ prefix, ok: pattern.test(prefix) }).toEqual({ prefix, ok: true });
    for (const prefix of ['', '*', 'dbauth/*', 'dbauth?', 'a'.repeat(257)])
      expect({ prefix, ok: pattern.test(prefix) }).toEqual({ prefix, ok: false });
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(3);
    for (const [id, fn] of functions) {
      const variables = (fn.Properties?.Environment as { Variables: Record<string, Json> }).Variables;
      expect({ id, prefix: variables.DBAUTH_SECRET_NAME_PREFIX }).toEqual({
        id,
        prefix: { Ref: 'SecretNamePrefix' },
      });
    }
    expect(readFileSync(join(root, 'lib/config.ts'), 'utf8')).toContain('env.DBAUTH_SECRET_NAME_PREFIX');
  });

  it('uses KMS only on the configured key, through Secrets Manager, and publishes to the one bus', () => {
    const statements = statementsOf(template).map(({ statement }) => statement);
    const kms = statements.filter(
      (statement) => granted(statement, ['kms:Decrypt', 'kms:GenerateDataKey']).length,
    );
    expect(kms.length).toBeGreaterThan(0);
    for (const statement of kms) {
      expect(statement.Resource).toEqual({ Ref: 'KmsKeyArn' });
      expect(conditionKeys(statement)).toContain('kms:viaservice');
    }
    const publish = statements.filter((statement) => granted(statement, ['events:PutEvents']).length);
    expect(publish.length).toBeGreaterThan(0);
    for (const statement of publish)
      expect(JSON.stringify(statement.Resource)).toMatch(/event-bus\/\$\{EventBusName\}/);
  });

  it('keeps failed events in a queue EventBridge and the function can write to (no KMS key)', () => {
    const queues = resourcesOfType(template, 'AWS::SQS::Queue');
    expect(queues).toHaveLength(1);
    const [, queue] = queues[0] as [string, Resource];
    expect(queue.Properties?.SqsManagedSseEnabled).toBe(true);
    expect(queue.Properties?.KmsMasterKeyId).toBeUndefined();
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

  it('lets every function that looks up who holds a user list secrets by tag (adoption, Delete, tag path)', () => {
    for (const handler of ['handlers/custom-resource.handler', 'handlers/secret-events.handler']) {
      const role = roleOf(template, handler);
      const listing = statementsOf(template).filter(
        ({ where, statement }) =>
          where.startsWith(`${role}/`) && granted(statement, ['secretsmanager:ListSecrets']).length > 0,
      );
      expect(listing.length).toBeGreaterThan(0);
    }
  });

  it('gives each function its own zip holding its own handler, and its own role', () => {
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(2);
    const zips = functions.map((fn) => basename(String((fn.Properties?.Code as { S3Key?: Json }).S3Key)));
    expect(new Set(zips).size).toBe(functions.length);
    functions.forEach((fn, index) => {
      const zip = readFileSync(join(outDir, zips[index] as string));
      const handlerFile = String(fn.Properties?.Handler).replace(/\.[^.]+$/, '.mjs');
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
    // A failed step has an alarm of its own: Secrets Manager retries, and Errors cannot say which step.
    const alarm = alarmOnOwnFailures(template, 'handlers/rotate.handler', (metrics) =>
      metrics.rotationStep(
        { outcome: 'failed', step: 'setSecret', strategy: 'single', engine: 'postgres' },
        12,
      ),
    );
    expect(alarm.AlarmName).toEqual({ 'Fn::Sub': '${NamePrefix}-rotation-failures' });
  });

  it('raises an alarm when a Custom::DatabaseUser request is answered FAILED (the invocation itself succeeds)', () => {
    const alarm = alarmOnOwnFailures(template, 'handlers/custom-resource.handler', (metrics) =>
      metrics.customResourceRequest({ outcome: 'failed', requestType: 'Create', engine: 'postgres' }, 12),
    );
    expect(alarm.AlarmName).toEqual({ 'Fn::Sub': '${NamePrefix}-custom-resource-failures' });
  });

  it('sends every alarm to the alarm topic when one is given, and nowhere otherwise', () => {
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(5);
    for (const [id, alarm] of alarms) {
      expect({ id, actions: alarm.Properties?.AlarmActions }).toEqual({
        id,
        actions: { 'Fn::If': ['HasAlarmTopic', [{ Ref: 'AlarmTopicArn' }], { Ref: 'AWS::NoValue' }] },
      });
    }
    expect(template.Parameters?.AlarmTopicArn?.Default).toBe('');
  });

  it('grants "*" only for actions that have no resource', () => {
    const wide = statementsOf(template).filter(
      ({ statement }) => statement.Effect === 'Allow' && asList(statement.Resource).includes('*'),
    );
    expect(wide.length).toBeGreaterThan(0);
    for (const { where, statement } of wide) {
      expect(statement.NotAction).toBeUndefined();
      const actions = asList(statement.Action);
      expect({ where, actions }).toEqual({
        where,
        actions: actions.filter((action) => RESOURCELESS_ACTIONS.includes(action)),
      });
    }
  });

  it('gives the custom resource and the secret events function the default rotation schedule', () => {
    expect(template.Parameters?.RotationSchedule?.Default).toBe('rate(30 days)');
    for (const handler of ['handlers/custom-resource.handler', 'handlers/secret-events.handler']) {
      const fn = template.Resources[functionIdByHandler(template, handler)];
      const variables = (fn?.Properties?.Environment as { Variables: Record<string, Json> }).Variables;
      expect(variables.DBAUTH_DEFAULT_ROTATION_SCHEDULE).toEqual({ Ref: 'RotationSchedule' });
    }
  });

  it('names the functions, their log groups, the queue and the alarms with the name prefix', () => {
    const prefix = template.Parameters?.NamePrefix?.Default;
    expect(prefix).toBe('dbauth-dev');
    for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      expect({ id, name: fn.Properties?.FunctionName }).toEqual({
        id,
        name: expect.stringMatching(/^dbauth-dev-[A-Za-z]+$/),
      });
    }
    for (const [, group] of resourcesOfType(template, 'AWS::Logs::LogGroup')) {
      expect(group.Properties?.LogGroupName).toMatch(/^\/aws\/lambda\/dbauth-dev-/);
    }
    const named = [
      ...resourcesOfType(template, 'AWS::SQS::Queue').map(([, r]) => r.Properties?.QueueName),
      ...resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties?.AlarmName),
    ];
    for (const name of named)
      expect(name).toEqual({ 'Fn::Sub': expect.stringMatching(/^\$\{NamePrefix\}-/) });
  });

  it('lets the audit write no secret and invoke no function, and use DynamoDB only on its own table', () => {
    const role = roleOf(template, 'handlers/audit.handler');
    const statements = statementsOf(template).filter(({ where }) => where.startsWith(`${role}/`));
    expect(statements.length).toBeGreaterThan(0);
    const dynamoActions = [
      'Scan',
      'PutItem',
      'UpdateItem',
      'DeleteItem',
      'GetItem',
      'Query',
      'DeleteTable',
      'CreateTable',
      'BatchWriteItem',
    ].map((name) => `dynamodb:${name}`);
    for (const { where, statement } of statements) {
      expect({ where, writes: granted(statement, SECRETS_MANAGER_WRITES) }).toEqual({ where, writes: [] });
      expect({ where, invoke: granted(statement, ['lambda:InvokeFunction']) }).toEqual({ where, invoke: [] });
      const dynamo = granted(statement, dynamoActions);
      if (dynamo.length === 0) continue;
      expect({ where, dynamo, resource: statement.Resource }).toEqual({
        where,
        dynamo: ['dynamodb:Scan', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resource: { 'Fn::GetAtt': ['AuditFindingsTable', 'Arn'] },
      });
    }
    // No other role touches the table.
    const others = statementsOf(template).filter(
      ({ where, statement }) => !where.startsWith(`${role}/`) && granted(statement, dynamoActions).length > 0,
    );
    expect(others).toEqual([]);
  });

  it('keeps the audit state in a table with point-in-time recovery, a TTL and encryption (the deployment key when given)', () => {
    const table = template.Resources.AuditFindingsTable?.Properties ?? {};
    expect(table).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'findingId', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: {
        'Fn::If': [
          'HasKmsKey',
          { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { Ref: 'KmsKeyArn' } },
          { SSEEnabled: true },
        ],
      },
    });
    const fn = template.Resources[functionIdByHandler(template, 'handlers/audit.handler')]?.Properties ?? {};
    const variables = (fn.Environment as { Variables: Record<string, Json> }).Variables;
    expect({ table: variables.DBAUTH_AUDIT_TABLE, concurrency: fn.ReservedConcurrentExecutions }).toEqual({
      table: { Ref: 'AuditFindingsTable' },
      concurrency: 1,
    });
  });

  it('runs the audit on its schedule (rate(1 day) by default, off allowed), a rule that targets only the audit function', () => {
    const auditId = functionIdByHandler(template, 'handlers/audit.handler');
    const parameter = template.Parameters?.AuditSchedule;
    expect(parameter?.Default).toBe('rate(1 day)');
    const pattern = new RegExp(String(parameter?.AllowedPattern));
    for (const value of ['off', 'rate(1 day)', 'cron(0 4 * * ? *)'])
      expect({ value, ok: pattern.test(value) }).toEqual({ value, ok: true });
    for (const value of ['daily', '', 'rate(1 day', 'off '])
      expect({ value, ok: pattern.test(value) }).toEqual({ value, ok: false });
    const rules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, r]) =>
      asList(r.Properties?.Targets as Json[]).some((t) => refersTo((t as { Arn: Json }).Arn, auditId)),
    );
    expect(rules).toHaveLength(1);
    const [ruleId, rule] = rules[0] as [string, Resource & { Condition?: string }];
    expect(rule.Condition).toBe('AuditScheduled');
    expect(rule.Properties).toMatchObject({
      ScheduleExpression: { Ref: 'AuditSchedule' },
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [auditId, 'Arn'] },
          Input: '{"trigger":"schedule"}',
          RetryPolicy: { MaximumRetryAttempts: 0 },
        },
      ],
    });
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').filter(([, p]) =>
      refersTo(p.Properties?.FunctionName, auditId),
    );
    expect(permissions.map(([, p]) => p.Properties)).toEqual([
      expect.objectContaining({
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      }),
    ]);
  });

  it('raises an alarm on new drift from the metric the audit prints, and one when a scheduled audit did not run', () => {
    const alarm = alarmOnOwnFailures(template, 'handlers/audit.handler', (metrics) =>
      metrics.auditRun(
        {
          newFindings: 1,
          changedFindings: 0,
          openFindings: 1,
          resolvedFindings: 0,
          incomplete: false,
          serversUnreachable: 0,
        },
        12,
      ),
    );
    expect(alarm.AlarmName).toEqual({ 'Fn::Sub': '${NamePrefix}-drift' });
    const missing = template.Resources.AuditMissingAlarm as Resource & { Condition?: string };
    expect({ condition: missing.Condition, properties: missing.Properties }).toMatchObject({
      condition: 'AuditScheduled',
      properties: {
        MetricName: 'Invocations',
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      },
    });
  });

  it('puts every role inside the permissions boundary when one is given', () => {
    const roles = resourcesOfType(template, 'AWS::IAM::Role');
    expect(roles.length).toBeGreaterThanOrEqual(3);
    for (const [id, role] of roles) {
      expect({ id, boundary: role.Properties?.PermissionsBoundary }).toEqual({
        id,
        boundary: {
          'Fn::If': ['HasPermissionsBoundary', { Ref: 'PermissionsBoundaryArn' }, { Ref: 'AWS::NoValue' }],
        },
      });
    }
  });
});
