/**
 * Every password Secrets Manager generated for the handlers of this test file (support/aws.ts
 * records them): passwords of failed Creates and failed rotations, which no test reads back,
 * are the ones most likely to reach an error message.
 */
export const generatedPasswords = new Set<string>();

/**
 * Every secret string that went to or came from Secrets Manager through the tests' clients
 * (support/aws.ts records them), and the password-like fields inside them: a secret whose value
 * holds no password field (a bare username, an API key) is covered by its whole string.
 */
export const secretStrings = new Set<string>();

// Shorter strings ('{}', '"x"') would match innocent output.
const SHORTEST_SECRET_STRING = 12;

/** Records a secret string, and any string in it under a key that names a password or secret. */
export function rememberSecretString(text: string): void {
  if (text.length >= SHORTEST_SECRET_STRING) secretStrings.add(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (
      typeof field === 'string' &&
      field.length >= 6 &&
      /password|passwd|token|apikey|api_key|^key$/i.test(key)
    )
      secretStrings.add(field);
  }
}

/** A secret as it appears raw, and as it appears inside a JSON log line (quotes escaped). */
const spellings = (secret: string): string[] => {
  const escaped = JSON.stringify(secret).slice(1, -1);
  return escaped === secret ? [secret] : [secret, escaped];
};

/** What a scan looks for: `secrets`, generated passwords and secret strings, as written raw or in JSON. */
const needles = (secrets: Iterable<string>): string[] =>
  [...secrets, ...generatedPasswords, ...secretStrings]
    .filter((secret) => secret.length > 0)
    .flatMap(spellings);

/**
 * Captures everything written to stdout and stderr (the logger writes there) so a test can
 * prove that no password it used was ever printed. It wraps the writers the quiet test
 * environment installed (test/support/quiet-environment.js), so it sees every line that one
 * keeps.
 */
export class OutputCapture {
  private chunks: string[] = [];
  private restore: (() => void) | undefined;

  /** Starts capturing; a second call while capturing does nothing. */
  start(): void {
    if (this.restore) return;
    const stdout = process.stdout.write.bind(process.stdout);
    const stderr = process.stderr.write.bind(process.stderr);
    const tap =
      (original: typeof stdout) =>
      (chunk: unknown, ...rest: unknown[]): boolean => {
        this.record(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
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
    this.restore = undefined;
  }

  /** Adds output that did not go through this process's writers (a child process's, say). */
  record(text: string): void {
    this.chunks.push(text);
  }

  /** Forgets what was captured so far (each test scans only its own output). */
  reset(): void {
    this.chunks = [];
  }

  get text(): string {
    return this.chunks.join('');
  }

  /**
   * Lines of output that contain any of `secrets`, a generated password or a secret string
   * (raw or JSON-escaped); none is the expected answer. A scan of nothing proves nothing: it
   * throws when nothing was captured (unless `allowEmpty`: then there is nothing to find), or
   * when there is no secret to look for.
   */
  leaks(secrets: Iterable<string>, options: { allowEmpty?: boolean } = {}): string[] {
    const all = needles(secrets);
    if (this.text.trim().length === 0) {
      if (options.allowEmpty) return [];
      throw new Error('leak check: nothing was captured (is the log level SILENT, or capture not started?)');
    }
    if (all.length === 0) throw new Error('leak check: no password or secret string to look for');
    return this.text.split('\n').filter((line) => all.some((secret) => line.includes(secret)));
  }
}

/** Response bodies (CloudFormation's, say) that hold any of `secrets`, or a generated password or secret string. */
export function leakingBodies(bodies: string[], secrets: Iterable<string>): string[] {
  const all = needles(secrets);
  return bodies.filter((body) => all.some((secret) => body.includes(secret)));
}

/**
 * Makes every test of the enclosing `describe` prove it leaked nothing: the capture runs for
 * the whole block and is emptied before each test; after each test, what that test printed must
 * not be empty (a scan of nothing proves nothing: a SILENT log level fails here) and no line of
 * it, nor any body `responses` gives that arrived since the test started (CloudFormation
 * responses, published events), may hold a password or secret string `secrets` names, Secrets
 * Manager generated, or the tests' clients stored or read. What the hooks before a test printed
 * or caused (a `beforeAll` that drives a handler) is scanned before it, and may be empty.
 */
export function scanEachTest(
  capture: OutputCapture,
  secrets: () => Iterable<string> = () => [],
  responses: () => string[] | Promise<string[]> = () => [],
  options: {
    /**
     * Only for tests that drive no handler, engine sessions say: they log nothing of their
     * own, so an empty capture is their expected output and the scan is there for a driver
     * that prints. A handler always prints (its INFO lines, or its metrics): never set it there.
     */
    mayPrintNothing?: boolean;
  } = {},
): void {
  // By content, not position: `responses` may join lists that grow at different ends.
  const scannedResponses = new Set<string>();
  const scan = async (allowEmpty: boolean) => {
    try {
      const bodies = await responses();
      const unscanned = bodies.filter((body) => !scannedResponses.has(body));
      unscanned.forEach((body) => scannedResponses.add(body));
      return {
        output: capture.leaks(secrets(), { allowEmpty }),
        responses: leakingBodies(unscanned, secrets()),
      };
    } finally {
      capture.reset();
    }
  };
  beforeAll(() => capture.start());
  afterAll(() => capture.stop());
  beforeEach(async () => {
    expect({ beforeThisTest: await scan(true) }).toEqual({ beforeThisTest: { output: [], responses: [] } });
  });
  afterEach(async () => {
    expect(await scan(options.mayPrintNothing ?? false)).toEqual({ output: [], responses: [] });
  });
}
