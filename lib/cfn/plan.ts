/** What a Custom::DatabaseUser request derives from its properties and the master secret. */
import type { Deps } from '../deps';
import type { GrantSet } from '../engines/engine';
import { InvalidInputError } from '../errors';
import type { Password } from '../secrets/password';
import type { SecretStore } from '../secrets/secret-store';
import type { SecretDescription } from '../secrets/secret-description';
import type { AppSecretValue } from '../secrets/secret-value';
import { passwordPolicyTag } from '../secrets/password-policy-tag';
import { MANAGED_BY_STACK, TAGS } from '../secrets/tags';
import {
  consentForStack,
  refuseSecretOutsidePrefix,
  refuseStrongerGrants,
  type Consent,
} from '../users/consent';
import { privilegesOf, tagList } from '../users/grants';
import { connectAsMaster, describeMaster, type MasterAccess, type MasterKeys } from '../users/master-session';
import type { CustomResourceEvent, Outcome } from './event';
import { defaultSecretName, physicalIdOf, type UserIdentity } from './identity';
import type { DatabaseUserProperties } from './properties';

/** What a `Custom::DatabaseUser` request uses of `Deps`. */
export type DatabaseUserKeys =
  | MasterKeys
  | 'secretNamePrefix'
  | 'publisher'
  | 'rotationLambdaArn'
  | 'defaultRotationSchedule'
  | 'passwordPolicy'
  | 'warn'
  | 'onMade'
  | 'onEngine';

/** Everything a request derives from its properties and the master secret. */
export interface Plan {
  props: DatabaseUserProperties;
  master: MasterAccess;
  identity: UserIdentity;
  grants: GrantSet;
  clone: string;
  secretName: string;
  managedBy: string;
  /** What the master lends this stack: checked before anything was read beyond its tags. */
  consent: Consent;
}

export const managedByOf = (event: CustomResourceEvent) =>
  `${MANAGED_BY_STACK}${event.StackId}/${event.LogicalResourceId}`;

/**
 * The master's description once it serves this stack: refused with nothing read beyond its
 * tags otherwise. Delete asks no more than this (dropping takes access away).
 */
export async function masterServingStack(
  event: CustomResourceEvent,
  props: DatabaseUserProperties,
  deps: Pick<Deps, DatabaseUserKeys>,
): Promise<{ master: SecretDescription; consent: Consent }> {
  const master = await describeMaster(deps, props.MasterSecretArn);
  return { master, consent: consentForStack(master, event.StackId, deps.accountId) };
}

export function overridesOf(props: DatabaseUserProperties) {
  return {
    engine: props.Engine,
    host: props.Host,
    port: props.Port,
    database: props.Database,
    ssl: props.Ssl,
  };
}

export async function planFor(
  event: CustomResourceEvent,
  props: DatabaseUserProperties,
  deps: Pick<Deps, DatabaseUserKeys>,
): Promise<Plan> {
  if (props.Rotation?.Enabled && !deps.rotationLambdaArn) {
    throw new InvalidInputError('Rotation is set, but this dbauth deployment has no rotation function');
  }
  if (props.SecretName !== undefined)
    refuseSecretOutsidePrefix(props.SecretName, deps.secretNamePrefix, 'SecretName');
  const { master: described, consent } = await masterServingStack(event, props, deps);
  refuseStrongerGrants(consent, privilegesOf(props.Grants));
  const master = await connectAsMaster(deps, described.arn, overridesOf(props), { described });
  deps.onEngine?.(master.endpoint.engine);
  try {
    const { engine, endpoint } = master;
    engine.validateUsername(props.Username);
    props.Schemas.forEach((schema) => engine.validateSchemaName(schema));
    if (props.ReassignOwnedTo) engine.validateUsername(props.ReassignOwnedTo);
    // Named whatever the strategy: a user that rotated with alternating users may keep its
    // clone (and the clone may be AWSCURRENT) after Rotation changed.
    const clone = engine.cloneUsername(props.Username);
    if ([props.Username, clone].includes(master.masterUsername)) {
      throw new InvalidInputError(`user name ${props.Username} is the master user's: choose another`);
    }
    const identity = {
      family: engine.family,
      host: endpoint.host,
      port: endpoint.port,
      username: props.Username,
    };
    return {
      props,
      master,
      identity,
      grants: { database: endpoint.database, schemas: props.Schemas, privileges: privilegesOf(props.Grants) },
      clone,
      secretName:
        props.SecretName ??
        defaultSecretName(deps.secretNamePrefix, event.StackId, event.LogicalResourceId, identity),
      managedBy: managedByOf(event),
      consent,
    };
  } catch (error) {
    await master.session.close();
    throw error;
  }
}

export function secretValueOf(plan: Plan, password: Password): AppSecretValue {
  const { endpoint, masterArn } = plan.master;
  return {
    engine: endpoint.engine,
    host: endpoint.host,
    port: endpoint.port,
    username: plan.props.Username,
    password,
    dbname: endpoint.database,
    masterarn: masterArn,
    // Absent, not undefined: Update spreads this over the stored value, whose ssl it keeps.
    ...(plan.props.Ssl !== undefined ? { ssl: plan.props.Ssl } : {}),
  };
}

export function tagsOf(plan: Plan): Record<string, string> {
  const { props } = plan;
  return {
    ...Object.fromEntries(props.Tags.map((tag) => [tag.Key, tag.Value])),
    [TAGS.managedBy]: plan.managedBy,
    [TAGS.strategy]: props.Rotation?.Strategy ?? 'single',
    [TAGS.username]: props.Username,
    [TAGS.engine]: plan.master.endpoint.engine,
    [TAGS.host]: plan.master.endpoint.host,
    [TAGS.database]: plan.master.endpoint.database,
    [TAGS.grants]: typeof props.Grants === 'string' ? props.Grants : tagList(props.Grants),
    [TAGS.schemas]: tagList(props.Schemas),
    [TAGS.rotation]: rotationTagOf(props.Rotation),
    [TAGS.passwordPolicy]: passwordPolicyTag({
      length: props.PasswordLength,
      excludeCharacters: props.ExcludeCharacters,
    }),
  };
}

/**
 * What the drift audit reads as the declared rotation: `off`, a number of days, or `schedule`
 * (the expression itself is in the secret's rotation rules: a tag value may hold no parentheses).
 */
export function rotationTagOf(rotation: DatabaseUserProperties['Rotation']): string {
  if (!rotation?.Enabled) return 'off';
  return rotation.AutomaticallyAfterDays ? String(rotation.AutomaticallyAfterDays) : 'schedule';
}

export function outcomeOf(plan: Plan, secret: { arn: string; name: string }): Outcome {
  const { endpoint } = plan.master;
  return {
    physicalResourceId: physicalIdOf(plan.identity),
    data: {
      SecretArn: secret.arn,
      SecretName: secret.name,
      Username: plan.props.Username,
      Database: endpoint.database,
      Host: endpoint.host,
      Port: String(endpoint.port),
      Engine: endpoint.engine,
    },
  };
}

export async function applyRotation(
  store: SecretStore,
  plan: Plan,
  secretArn: string,
  was: DatabaseUserProperties['Rotation'],
  deps: Pick<Deps, DatabaseUserKeys>,
): Promise<void> {
  const wanted = plan.props.Rotation;
  if (wanted?.Enabled && deps.rotationLambdaArn) {
    if (JSON.stringify(wanted) === JSON.stringify(was)) return;
    await store.attachRotation(secretArn, {
      lambdaArn: deps.rotationLambdaArn,
      ...(wanted.AutomaticallyAfterDays
        ? { automaticallyAfterDays: wanted.AutomaticallyAfterDays }
        : { scheduleExpression: wanted.Schedule ?? deps.defaultRotationSchedule }),
    });
  } else if (was?.Enabled) {
    await store.detachRotation(secretArn);
  }
}
