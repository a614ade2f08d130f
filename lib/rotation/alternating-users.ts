import { CLONE_SUFFIX } from '../engines/identifiers';
import { InvalidInputError } from '../errors';
import { TAGS } from '../secrets/tags';
import { connectAsMaster, refuseForeignMaster } from '../users/master-session';
import { ensureSameServer, masterActingFor, type RotationContext, type Target } from './context';
import { CurrentLoginRejectedError, MasterRequiredError } from './errors';
import type { RotationStrategy } from './strategy';

/**
 * The user's first login: the `dbauth:user` tag names it; secrets without it follow AWS's
 * rule (`name_clone` belongs to `name`), which holds when the clone's name was not truncated.
 */
function baseUsername(context: RotationContext, target: Target, username: string): string {
  const tagged = context.secret.tags[TAGS.username];
  const base =
    tagged ?? (username.endsWith(CLONE_SUFFIX) ? username.slice(0, -CLONE_SUFFIX.length) : username);
  target.engine.validateUsername(base);
  return base;
}

/**
 * Two logins, `name` and its clone, take turns: the master gives the login that is not
 * current the new password, so the current login (and every open connection) keeps working.
 * The clone acts with the first login's grants, and the grants are re-synced on every rotation.
 */
export const alternatingUsers: RotationStrategy = {
  async pendingUsername(context, current) {
    const target = await context.targetOf(current);
    const base = baseUsername(context, target, current.username);
    const clone = target.engine.cloneUsername(base);
    return current.username === clone ? base : clone;
  },

  async setSecret(context) {
    const pending = await context.pendingOrFail();
    if (pending.masterarn) refuseForeignMaster(pending.masterarn, context.deps.accountId);
    // The pending version names the master (createSecret copied it): read both current versions at once.
    const { current, master: prefetched } = await context.currentWithMaster(pending.masterarn);
    if (!current.masterarn) throw new MasterRequiredError(context.arn);
    const target = await context.targetOf(current);
    // The master acts only for a secret whose own credentials still work: a guard against
    // being used as a confused deputy by a secret that merely names a master.
    if (!(await context.canLogIn(target, current))) {
      throw new CurrentLoginRejectedError(context.arn, current.username);
    }
    const base = baseUsername(context, target, current.username);
    const clone = target.engine.cloneUsername(base);
    // The login just proven must be one of the pair, and the pending one the other: the
    // proof covers the user the master then acts on.
    if (
      ![base, clone].includes(current.username) ||
      pending.username !== (current.username === base ? clone : base)
    ) {
      throw new InvalidInputError(
        `secret ${context.arn} holds user ${current.username} (pending ${pending.username}), which is not the pair ${base}/${clone} it is tagged for`,
      );
    }
    // The current version decides which master acts; the prefetched one counts only if it is that one.
    const described = await masterActingFor(context, current.masterarn);
    const master = await connectAsMaster(
      context.deps,
      described.arn,
      { database: target.endpoint.database },
      current.masterarn === pending.masterarn && prefetched ? { prefetched, described } : { described },
    );
    try {
      ensureSameServer(context, target, master);
      if ([base, clone].includes(master.masterUsername)) {
        throw new InvalidInputError(`secret ${context.arn} names the master user; refusing to rotate it`);
      }
      const { session } = master;
      if (pending.username === clone) {
        await session.cloneUser(base, clone, pending.password);
      } else {
        await session.setPassword(base, pending.password);
        if (await session.userExists(clone)) await session.syncClone(base, clone);
      }
    } finally {
      await master.session.close();
    }
  },
};
