import type { SecretDescription } from '../secrets/secret-description';
import type { SecretStore } from '../secrets/secret-store';
import type { SecretVersion, VersionSelector } from '../secrets/secret-version';

/**
 * The audit's reads of Secrets Manager, counted by operation (the run's summary reports them):
 * the audit never writes a secret, and this is all it can call.
 */
export class CountedSecretReads {
  readonly calls: Record<string, number> = {};

  constructor(
    private readonly store: Pick<SecretStore, 'listManaged' | 'find' | 'getVersion' | 'getCurrentOfEach'>,
  ) {}

  get total(): number {
    return Object.values(this.calls).reduce((sum, n) => sum + n, 0);
  }

  listManaged(namePrefix?: string): Promise<SecretDescription[]> {
    return this.store.listManaged({ namePrefix, onCall: () => this.#count('ListSecrets') });
  }

  /** The description, or undefined when the secret is gone (or scheduled for deletion). */
  describe(secretId: string): Promise<SecretDescription | undefined> {
    this.#count('DescribeSecret');
    return this.store.find(secretId);
  }

  getVersion(secretId: string, version: VersionSelector): Promise<SecretVersion> {
    this.#count('GetSecretValue');
    return this.store.getVersion(secretId, version);
  }

  /** AWSCURRENT of several secrets in one call; none when the call is refused (each is read alone then). */
  async getCurrentOfEach(secretIds: string[]): Promise<SecretVersion[]> {
    this.#count('BatchGetSecretValue');
    return this.store.getCurrentOfEach(secretIds).catch(() => []);
  }

  #count(operation: string): void {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
  }
}
