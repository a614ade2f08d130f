/** Small statistics for bench figures. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

export const median = (values: number[]) => percentile(values, 50);
export const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** Runs `tasks` with at most `limit` at a time, as a Lambda's reserved concurrency would. */
export async function withConcurrency<T>(
  limit: number,
  tasks: (() => Promise<T>)[],
): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await (tasks[index] as () => Promise<T>)() };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

export const max = (values: number[]) => values.reduce((a, b) => Math.max(a, b), -Infinity);
