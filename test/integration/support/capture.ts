/**
 * Every password Secrets Manager generated for the handlers of this test file (support/aws.ts
 * records them): passwords of failed Creates and failed rotations, which no test reads back,
 * are the ones most likely to reach an error message.
 */
export const generatedPasswords = new Set<string>();

/**
 * Captures everything written to stdout and stderr (the logger writes there) so a test can
 * prove that no password it used was ever printed.
 */
export class OutputCapture {
  private chunks: string[] = [];
  private restore: (() => void) | undefined;

  start(): void {
    const stdout = process.stdout.write.bind(process.stdout);
    const stderr = process.stderr.write.bind(process.stderr);
    const tap =
      (original: typeof stdout) =>
      (chunk: unknown, ...rest: unknown[]): boolean => {
        this.chunks.push(
          typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'),
        );
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      };
    process.stdout.write = tap(stdout) as typeof process.stdout.write;
    process.stderr.write = tap(stderr) as typeof process.stderr.write;
    this.restore = () => {
      process.stdout.write = stdout;
      process.stderr.write = stderr;
    };
  }

  stop(): void {
    this.restore?.();
  }

  get text(): string {
    return this.chunks.join('');
  }

  /**
   * Lines of output that contain any of `secrets` or a generated password; none is the expected
   * answer. A scan of nothing proves nothing: it throws when nothing was captured, or when there
   * is no secret to look for.
   */
  leaks(secrets: string[]): string[] {
    const all = [...secrets, ...generatedPasswords].filter((secret) => secret.length > 0);
    if (this.text.trim().length === 0)
      throw new Error('leak check: nothing was captured (is the log level SILENT, or capture not started?)');
    if (all.length === 0) throw new Error('leak check: no password or secret string to look for');
    return this.text.split('\n').filter((line) => all.some((secret) => line.includes(secret)));
  }
}
