import { beforeDeadline, statementLimitMs, timeoutsWithin, within } from '../../lib/deadline';
import { DeadlineExceededError, DeadlinePassedError } from '../../lib/errors';

describe('beforeDeadline', () => {
  it('gives the value of work that finishes in time, and never aborts it', async () => {
    let seen: AbortSignal | undefined;
    const raced = await beforeDeadline(async (signal) => {
      seen = signal;
      return 42;
    }, 900);
    expect(raced).toEqual({ done: true, value: 42 });
    expect(seen?.aborted).toBe(false);
  });

  it('gives up at the margin and tells the work, which may still be running', async () => {
    let seen: AbortSignal | undefined;
    const raced = await beforeDeadline((signal) => {
      seen = signal;
      return new Promise<number>(() => undefined);
    }, 50);
    expect(raced).toEqual({ done: false });
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(DeadlinePassedError);
  });
});

describe('within', () => {
  it('says what did not finish, and in how long', async () => {
    await expect(within(() => new Promise<number>(() => undefined), 30, 'step setSecret')).rejects.toThrow(
      new DeadlineExceededError('step setSecret', 30),
    );
  });
});

describe('timeoutsWithin', () => {
  it('caps the database timeouts at the time left, and hands over the signal', () => {
    const signal = new AbortController().signal;
    const before = Date.now();
    expect(timeoutsWithin({ connectMs: 5000, statementMs: 10000 }, 7000.6, signal)).toEqual({
      connectMs: 5000,
      statementMs: 7000,
      abort: signal,
      deadlineAt: expect.any(Number),
    });
    const { deadlineAt } = timeoutsWithin({ connectMs: 5000, statementMs: 10000 }, 7000, signal);
    expect(deadlineAt).toBeGreaterThanOrEqual(before + 7000);
    expect(statementLimitMs({ statementMs: 10000, deadlineAt: Date.now() + 2500 })).toBeLessThanOrEqual(2500);
    expect(statementLimitMs({ statementMs: 10000, deadlineAt: Date.now() - 5 })).toBe(1);
    expect(timeoutsWithin({ connectMs: 5000, statementMs: 10000 }, 0, signal)).toMatchObject({
      connectMs: 1,
      statementMs: 1,
    });
  });
});
