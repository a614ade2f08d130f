import type { SecretString } from './secret-string';

/** Long enough for the four steps of one rotation; short, since what it holds holds a password. */
const TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 32;

/**
 * Secret values by version id, kept between the invocations of one warm rotation function.
 * A version's value never changes once written (PutSecretValue refuses another value for the
 * same version id), so a value read or put in createSecret is still right in setSecret and
 * testSecret; which version holds which stage is never cached and comes from DescribeSecret
 * in every step. A miss (another container, an expired entry) only costs the read.
 */
export class VersionCache {
  readonly #entries = new Map<string, { value: SecretString; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(arn: string, versionId: string): SecretString | undefined {
    const key = `${arn}|${versionId}`;
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(arn: string, versionId: string, value: SecretString): void {
    const key = `${arn}|${versionId}`;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: this.now() + TTL_MS });
    // Maps keep insertion order: the first key is the oldest.
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= MAX_ENTRIES) break;
      this.#entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
