import type { AccountState } from '../engines/audit';
import type { Endpoint, Engine, Timeouts } from '../engines/engine';
import { AuthenticationFailedError, DatabaseUnreachableError } from '../engines/errors';
import { DbauthError, describeError } from '../errors';
import type { AuditLogin, FindingKind } from './types';

// Logging in as a managed user without ever showing its password: only the class of the
// error is kept, and a refused password is never tried again in the same run (lockout).

/** At most `size` holders at once; `peak` is the most there ever were (with `base` more open). */
export class ConnectionSlots {
  #open = 0;
  #peak = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly size: number,
    private readonly base: () => number,
  ) {}

  get peak(): number {
    return this.#peak;
  }

  async hold<T>(work: () => Promise<T>): Promise<T> {
    while (this.#open >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.#open += 1;
    this.#peak = Math.max(this.#peak, this.#open + this.base());
    try {
      return await work();
    } finally {
      this.#open -= 1;
      this.waiting.shift()?.();
    }
  }
}

/** What one login attempt showed. */
export type LoginOutcome =
  | { ok: true; current: string }
  | {
      ok: false;
      kind: Extract<FindingKind, 'password-mismatch' | 'login-failed' | 'rotation-pending'>;
      note: string;
    };

export interface LoginProbe {
  engine: Engine;
  endpoint: Endpoint;
  timeouts: Timeouts;
  slots: ConnectionSlots;
  /** Waits before the one retry of a login whose server did not answer. */
  retryDelayMs?: number;
}

type Attempt = { ok: true; current: string } | { ok: false; error: unknown };

async function attempt(probe: LoginProbe, login: AuditLogin): Promise<Attempt> {
  return probe.slots.hold(async () => {
    try {
      const session = await probe.engine.connect(
        probe.endpoint,
        { username: login.username, password: login.password },
        probe.timeouts,
      );
      try {
        return { ok: true, current: (await session.currentRoles()).current };
      } finally {
        await session.close();
      }
    } catch (error) {
      return { ok: false, error };
    }
  });
}

const why = (account: AccountState, tls: Endpoint['tls']['mode']): string | undefined => {
  if (account.requiresTls && tls === 'disable')
    return "the server refused it: the account requires TLS and the secret's ssl turns TLS off";
  if (!account.canLogin && !account.locked)
    return 'the server refused it: the login may not log in (NOLOGIN)';
  if (account.locked) return 'the server refused it: the account is locked';
  if (account.expired) return 'the server refused it: its password expired';
  return undefined;
};

/**
 * Logs in once as `login` (whose account exists) and tells what happened. A refused password
 * is a `password-mismatch` unless the account says why it refuses (locked, NOLOGIN, expired)
 * or the pending version of the secret logs in instead (a rotation stopped half-way). A server
 * that did not answer the user, while it answered the master, is tried once more after a second.
 */
export async function probeLogin(
  probe: LoginProbe,
  login: AuditLogin,
  account: AccountState,
  pending: AuditLogin | undefined,
): Promise<LoginOutcome> {
  let result = await attempt(probe, login);
  if (!result.ok && result.error instanceof DatabaseUnreachableError && !probe.timeouts.abort?.aborted) {
    await new Promise((resolve) => setTimeout(resolve, probe.retryDelayMs ?? 1000));
    result = await attempt(probe, login);
  }
  if (result.ok) return result;
  const { error } = result;
  // The account says why (servers differ in how they refuse a locked one): that is the reason.
  const reason = error instanceof DbauthError ? why(account, probe.endpoint.tls.mode) : undefined;
  if (reason) return { ok: false, kind: 'login-failed', note: reason };
  if (error instanceof AuthenticationFailedError) {
    if (pending && (await attempt(probe, pending)).ok)
      return { ok: false, kind: 'rotation-pending', note: 'AWSPENDING logs in, AWSCURRENT is refused' };
    return {
      ok: false,
      kind: 'password-mismatch',
      note: `the server refused the password the secret's ${login.stage} holds: it was changed outside dbauth (rotate the secret to set it again)`,
    };
  }
  // Ours (a TLS setting, a CA bundle, the server's answer): words that hold no password.
  if (error instanceof DbauthError) return { ok: false, kind: 'login-failed', note: describeError(error) };
  throw error;
}
