import type { GrantSet } from '../engines/engine';
import type { SecretDescription } from '../secrets/secret-description';
import type { AppSecretValue } from '../secrets/secret-value';
import { AWSCURRENT, AWSPENDING } from '../secrets/stages';
import { MANAGED_BY_TAGS, TAGS } from '../secrets/tags';
import { changeGrants } from './lifecycle';
import type { MasterAccess } from './master-session';
import { appliedTag, parseAppliedTag, type TagConfig } from './tag-config';
import type { UserNames } from './tagged-secret-value';

// The database side of a secret tagged `dbauth:master`: its user and the user's grants.

export async function ensureUser(
  secret: SecretDescription,
  user: UserNames,
  full: AppSecretValue,
  master: MasterAccess,
): Promise<'created' | 'adopted' | 'unchanged'> {
  const { session } = master;
  if (!(await session.userExists(user.login))) {
    await session.createUser(user.login, full.password);
    if (user.login !== user.base) await session.syncClone(user.base, user.login);
    return 'created';
  }
  // Once dbauth manages the secret its password is the rotation's business: checking it here
  // could race a rotation and put an old password back.
  if (secret.tags[TAGS.managedBy] === MANAGED_BY_TAGS) return 'unchanged';
  // A rotation in progress owns the password until finishSecret: leave it be.
  const rotating = Object.values(secret.versions).some(
    (stages) => stages.includes(AWSPENDING) && !stages.includes(AWSCURRENT),
  );
  if (rotating) return 'unchanged';
  // The tag asked for this user: it is taken over as if dbauth had made it (the secret's
  // password, and on MySQL REQUIRE SSL when dbauth itself connects over TLS).
  await session.createUser(user.login, full.password);
  return 'adopted';
}

export async function ensureGrants(
  secret: SecretDescription,
  config: TagConfig,
  user: UserNames,
  master: MasterAccess,
  newUser: boolean,
): Promise<boolean> {
  if (!newUser && secret.tags[TAGS.applied] === appliedTag(config)) return false;
  const database = master.endpoint.database;
  // A user made just now (first time, or again after it was dropped) has no grants yet.
  const applied = newUser ? { privileges: [], schemas: [] } : parseAppliedTag(secret.tags[TAGS.applied]);
  const from: GrantSet = { database, ...applied };
  const to: GrantSet = { database, privileges: config.privileges, schemas: config.schemas };
  // A first grant also brings CONNECT: changeGrants from nothing grants everything wanted.
  if (applied.schemas.length === 0) await master.session.grant(user.base, to);
  else await changeGrants(master.session, { username: user.base, clone: user.clone }, from, to);
  return true;
}
