/** The work finished, or the deadline came first. */
export type Raced<T> = { done: true; value: T } | { done: false };

/**
 * Races `work` against a timer that fires `marginMs` before the Lambda's deadline, so a
 * hanging database still leaves time to tell CloudFormation. The work is not cancelled; the
 * caller answers and returns, and Lambda freezes what is left.
 */
export async function beforeDeadline<T>(
  work: Promise<T>,
  remainingMs: number,
  marginMs: number,
): Promise<Raced<T>> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Raced<T>>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), Math.max(0, remainingMs - marginMs));
  });
  try {
    return await Promise.race([work.then((value) => ({ done: true as const, value })), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
