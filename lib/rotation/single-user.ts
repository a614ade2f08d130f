import { DatabaseError } from '../engines/errors';
import { InvalidInputError } from '../errors';
import type { AppSecretValue } from '../secrets/secret-value';
import { TAGS } from '../secrets/tags';
import { connectAsMaster } from '../users/master-session';
import { ensureSameServer, masterActingFor, type RotationContext, type Target } from './context';
import { CredentialsRejectedError } from './errors';
import type { RotationStrategy } from './strategy';

/**
 * One login whose password changes in place. Between setSecret and finishSecret the database
 * knows only the pending password: AWSPENDING authenticates then, AWSCURRENT again after finish.
 */
export const singleUser: RotationStrategy = {
  async pendingUsername(_context, current) {
    return current.username;
  },

  async setSecret(context) {
    const pending = await context.pendingOrFail();
    const target = await context.targetOf(pending);
    // Pending first: a retry of this step after it succeeded must not change anything.
    if (await context.canLogIn(target, pending)) return;
    // Current, then previous: read one at a time, as the previous one is rarely needed.
    for (const read of [() => context.current(), () => context.previous()]) {
      const known = await read();
      if (!known || known.username !== pending.username) continue;
      const session = await context.tryLogin(target, known);
      if (!session) continue;
      try {
        await session.changeOwnPassword(pending.password);
        return;
      } catch (error) {
        // Logged in, but may not change its own password (a server policy, a missing
        // privilege): the master may, under the same rules as below; else this error tells why.
        if (!(error instanceof DatabaseError) || !(await permittedMaster(context, pending))) throw error;
        break;
      } finally {
        await session.close();
      }
    }
    await setWithMaster(context, target, pending);
  },
};

/**
 * The master named by the secret, if it may set this user's password. No login proves the
 * secret's claim to the user then, so the claim must be dbauth's own: a secret dbauth manages,
 * tagged for exactly this user. Else a secret naming someone else's user (or the master) would
 * have the master hand its password to whoever reads the secret.
 */
async function permittedMaster(
  context: RotationContext,
  pending: AppSecretValue,
): Promise<string | undefined> {
  const { masterarn } = await context.current();
  const { tags } = context.secret;
  if (!masterarn || !tags[TAGS.managedBy] || tags[TAGS.username] !== pending.username) return undefined;
  return masterarn;
}

// No password the secret knows works any more (it was changed behind our back), or the user
// may not change its own: the permitted master sets it, on the same server only.
async function setWithMaster(
  context: RotationContext,
  target: Target,
  pending: AppSecretValue,
): Promise<void> {
  const masterArn = await permittedMaster(context, pending);
  if (!masterArn) throw new CredentialsRejectedError(context.arn, pending.username);
  const described = await masterActingFor(context, masterArn);
  const master = await connectAsMaster(
    context.deps,
    described.arn,
    { database: target.endpoint.database },
    { described },
  );
  try {
    ensureSameServer(context, target, master);
    if (pending.username === master.masterUsername) {
      throw new InvalidInputError(`secret ${context.arn} names the master user; refusing to rotate it`);
    }
    await master.session.setPassword(pending.username, pending.password);
  } finally {
    await master.session.close();
  }
}
