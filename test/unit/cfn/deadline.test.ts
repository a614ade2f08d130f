import { beforeDeadline, DeadlinePassedError } from '../../../lib/cfn/deadline';

describe('beforeDeadline', () => {
  it('gives the value of work that finishes in time, and never aborts it', async () => {
    let seen: AbortSignal | undefined;
    const raced = await beforeDeadline(
      async (signal) => {
        seen = signal;
        return 42;
      },
      1000,
      100,
    );
    expect(raced).toEqual({ done: true, value: 42 });
    expect(seen?.aborted).toBe(false);
  });

  it('gives up at the margin and tells the work, which may still be running', async () => {
    let seen: AbortSignal | undefined;
    const raced = await beforeDeadline(
      (signal) => {
        seen = signal;
        return new Promise<number>(() => undefined);
      },
      150,
      100,
    );
    expect(raced).toEqual({ done: false });
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(DeadlinePassedError);
  });
});
