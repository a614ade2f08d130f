import type { Timeouts } from './engines/engine';
import { DeadlineExceededError, DeadlinePassedError } from './errors';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** The work finished, or the deadline came first. */
export type Raced<T> = { done: true; value: T } | { done: false };

/**
 * Races `work` against a timer of `budgetMs`, so a hanging database or API still leaves time
 * to report. The work cannot be stopped mid-call, so it is told through `signal` instead:
 * sessions close their sockets, and steps check it between changes. Lambda freezes what is
 * left and may thaw it for the next request, where it must change nothing more.
 */
export async function beforeDeadline<T>(
  work: (signal: AbortSignal) => Promise<T>,
  budgetMs: number,
  reason: () => Error = () => new DeadlinePassedError(),
): Promise<Raced<T>> {
  const controller = new AbortController();
  // No deadline known (a caller outside Lambda): setTimeout would take Infinity for 1 ms.
  if (!(budgetMs < MAX_TIMER_MS)) return { done: true, value: await work(controller.signal) };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Raced<T>>((resolve) => {
    timer = setTimeout(
      () => {
        controller.abort(reason());
        resolve({ done: false });
      },
      Math.max(0, budgetMs),
    );
  });
  const running = Promise.resolve()
    .then(() => work(controller.signal))
    .then((value) => ({ done: true as const, value }));
  try {
    return await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** `work`'s value, or `DeadlineExceededError` once `budgetMs` has passed. */
export async function within<T>(
  work: (signal: AbortSignal) => Promise<T>,
  budgetMs: number,
  what: string,
): Promise<T> {
  const raced = await beforeDeadline(work, budgetMs, () => new DeadlinePassedError(what));
  if (!raced.done) throw new DeadlineExceededError(what, Math.round(budgetMs));
  return raced.value;
}

/** The time an invocation may work: what Lambda says is left, less `marginMs` for reporting. */
export function budgetOf(
  context: { getRemainingTimeInMillis?: () => number } | undefined,
  marginMs: number,
): number {
  const remaining = context?.getRemainingTimeInMillis?.();
  return remaining === undefined ? Number.POSITIVE_INFINITY : Math.max(0, remaining - marginMs);
}

/**
 * Database timeouts no longer than the time left, and `signal` to close every session when
 * the deadline passes (so nothing that is late can still change the server).
 */
export function timeoutsWithin(timeouts: Timeouts, budgetMs: number, signal: AbortSignal): Timeouts {
  const cap = (ms: number) => Math.max(1, Math.min(ms, Math.floor(budgetMs)));
  return {
    connectMs: cap(timeouts.connectMs),
    statementMs: cap(timeouts.statementMs),
    abort: signal,
    deadlineAt: Number.isFinite(budgetMs) ? Date.now() + Math.floor(budgetMs) : undefined,
  };
}

/** A statement's limit: the session's, or less when the deadline comes first (at least 1 ms). */
export function statementLimitMs(timeouts: Pick<Timeouts, 'statementMs' | 'deadlineAt'>): number {
  const left =
    timeouts.deadlineAt === undefined ? Number.POSITIVE_INFINITY : timeouts.deadlineAt - Date.now();
  return Math.max(1, Math.floor(Math.min(timeouts.statementMs, left)));
}

/** The same limits without the deadline: for undoing work after the deadline passed. */
export function timeoutsForCleanup(timeouts: Timeouts, capMs = 5000): Timeouts {
  return {
    connectMs: Math.min(timeouts.connectMs, capMs),
    statementMs: Math.min(timeouts.statementMs, capMs),
  };
}

/** Whether `promise` resolves within `ms` (a rejection or a late answer is no). */
export async function resolvesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
