import { DbauthError } from '../errors';

/** Work that went on after CloudFormation was told FAILED stops with this, and undoes itself. */
export class DeadlinePassedError extends DbauthError {
  constructor() {
    super('the function deadline passed and CloudFormation was told FAILED: this work stops here');
    this.name = 'DeadlinePassedError';
  }
}

/** The work finished, or the deadline came first. */
export type Raced<T> = { done: true; value: T } | { done: false };

/**
 * Races `work` against a timer that fires `marginMs` before the Lambda's deadline, so a
 * hanging database still leaves time to tell CloudFormation. The work cannot be stopped
 * mid-call, so it is told through `signal` instead: Lambda freezes what is left and may thaw
 * it for the next request, and work that finished then would make what CloudFormation was
 * told failed (a Create's orphaned user and secret).
 */
export async function beforeDeadline<T>(
  work: (signal: AbortSignal) => Promise<T>,
  remainingMs: number,
  marginMs: number,
): Promise<Raced<T>> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Raced<T>>((resolve) => {
    timer = setTimeout(
      () => {
        controller.abort(new DeadlinePassedError());
        resolve({ done: false });
      },
      Math.max(0, remainingMs - marginMs),
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
