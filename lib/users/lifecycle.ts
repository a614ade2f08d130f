import type { DropOptions, EngineSession, GrantSet } from '../engines/engine';
import type { Password } from '../secrets/password';
import { diffGrants } from './grants';

/** Creates the user (or sets its password when it exists) and gives it `grants`. */
export async function ensureUser(
  session: EngineSession,
  user: { username: string; password: Password; grants: GrantSet },
): Promise<void> {
  await session.createUser(user.username, user.password);
  await session.grant(user.username, user.grants);
}

/** Moves a user (and its clone, if any) from one grant set to another in the same database. */
export async function changeGrants(
  session: EngineSession,
  user: { username: string; clone?: string },
  from: GrantSet,
  to: GrantSet,
): Promise<void> {
  const changes = diffGrants(from, to, session.grantScope);
  for (const { grants, schemaAccess } of changes.revoke)
    await session.revoke(user.username, grants, { schemaAccess });
  for (const grants of changes.grant) await session.grant(user.username, grants);
  if (user.clone && (await session.userExists(user.clone)))
    await session.syncClone(user.username, user.clone);
}

/** Drops the user and its clone (the clone first: it may be a member of the user). */
export async function removeUser(
  session: EngineSession,
  user: { username: string; clone?: string },
  options: DropOptions,
): Promise<void> {
  if (user.clone) await session.dropUser(user.clone, options);
  await session.dropUser(user.username, options);
}
