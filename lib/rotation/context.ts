import type { Deps } from '../deps';
import type { Endpoint, Engine, EngineSession, GrantSet, Login } from '../engines/engine';
import { SecretNotFoundError } from '../secrets/errors';
import type { SecretDescription } from '../secrets/secret-description';
import type { SecretVersion } from '../secrets/secret-version';
import type { SecretString } from '../secrets/secret-string';
import { parseAppSecret, type AppSecretValue } from '../secrets/secret-value';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS } from '../secrets/stages';
import { TAGS, type Strategy } from '../secrets/tags';
import { resolveDatabaseServer } from '../users/database-server';
import { grantsFromTag, schemasFromTag } from '../users/grants';
import { tryLogin } from '../users/login';
import { consentForRotatedSecret } from '../users/consent';
import { describeMaster, type MasterKeys } from '../users/master-session';
import { MasterElsewhereError, PendingVersionMissingError, RotationError } from './errors';

/** What a rotation step uses of `Deps`. */
export type RotationKeys = MasterKeys | 'passwordPolicy' | 'publisher' | 'versionCache';

/** How a secret is rotated, as its tag says: a single user unless it says alternating. */
export const strategyOf = (secret: SecretDescription): Strategy =>
  secret.tags[TAGS.strategy] === 'alternating' ? 'alternating' : 'single';

/** Where a secret's database is, and the engine that speaks to it. */
export interface Target {
  engine: Engine;
  endpoint: Endpoint;
}

/**
 * One step's view of the secret being rotated. Versions are read lazily and at most once, so
 * a step costs only the Secrets Manager calls it needs.
 */
export class RotationContext {
  #current?: Promise<AppSecretValue>;
  #pending?: Promise<AppSecretValue | undefined>;
  #previous?: Promise<AppSecretValue | undefined>;

  constructor(
    readonly deps: Pick<Deps, RotationKeys>,
    readonly secret: SecretDescription,
    readonly token: string,
    readonly rotationToken?: string,
  ) {}

  get arn(): string {
    return this.secret.arn;
  }

  get strategy(): Strategy {
    return strategyOf(this.secret);
  }

  /** The version this rotation is making: it exists once createSecret has put it. */
  get tokenIsStaged(): boolean {
    return this.secret.versions[this.token] !== undefined;
  }

  current(): Promise<AppSecretValue> {
    this.#current ??= this.read({ stage: AWSCURRENT }).then((value) => {
      if (!value) throw new RotationError(`secret ${this.arn} has no AWSCURRENT value`);
      return value;
    });
    return this.#current;
  }

  /**
   * AWSCURRENT of this secret and of `masterId`, in one call when both are still to be read.
   * The master's version comes back only if it could be read; callers read it alone otherwise.
   */
  async currentWithMaster(
    masterId: string | undefined,
  ): Promise<{ current: AppSecretValue; master?: SecretVersion }> {
    if (!masterId || this.#current || this.currentIsKnown()) return { current: await this.current() };
    // A deployment without BatchGetSecretValue permission still rotates, one read at a time.
    const versions = await this.deps.store.getCurrentOfEach([this.arn, masterId]).catch(() => []);
    // Trust only what is AWSCURRENT now (moto's BatchGetSecretValue returns a stale version
    // after a rotation moved the label; AWS does not): anything else is read alone.
    const currentId = this.versionWith(AWSCURRENT);
    const own = versions.find((version) => version.arn === this.arn && version.versionId === currentId);
    const master = versions.find(
      (version) => version.arn !== this.arn && version.stages.includes(AWSCURRENT),
    );
    if (own) {
      this.remember(own.versionId, own.secretString);
      this.#current = Promise.resolve(parseAppSecret(this.arn, own.secretString));
    }
    return { current: await this.current(), master };
  }

  private currentIsKnown(): boolean {
    const currentId = this.versionWith(AWSCURRENT);
    return currentId !== undefined && this.isKnown(currentId);
  }

  /** The version DescribeSecret says holds `stage` in this step. */
  private versionWith(stage: string): string | undefined {
    return Object.entries(this.secret.versions).find(([, stages]) => stages.includes(stage))?.[0];
  }

  pending(): Promise<AppSecretValue | undefined> {
    this.#pending ??= this.tokenIsStaged
      ? this.read({ versionId: this.token, stage: AWSPENDING })
      : Promise.resolve(undefined);
    return this.#pending;
  }

  async pendingOrFail(): Promise<AppSecretValue> {
    const pending = await this.pending();
    if (!pending) throw new PendingVersionMissingError(this.arn, this.token);
    return pending;
  }

  previous(): Promise<AppSecretValue | undefined> {
    this.#previous ??=
      this.versionWith(AWSPREVIOUS) !== undefined
        ? this.read({ stage: AWSPREVIOUS })
        : Promise.resolve(undefined);
    return this.#previous;
  }

  /** The database a version of the secret points at (an app secret says where, or RDS does). */
  async targetOf(value: AppSecretValue): Promise<Target> {
    const target = await resolveDatabaseServer({ value, tags: async () => this.secret.tags }, {}, this.deps);
    target.engine.validateUsername(value.username);
    return target;
  }

  /** What testSecret proves: the grants the secret's tags name, or at least the login's CONNECT. */
  grantsOf(target: Target): GrantSet {
    const tag = this.secret.tags[TAGS.grants];
    const privileges = tag ? grantsFromTag(tag) : [];
    if (!privileges) throw new RotationError(`tag ${TAGS.grants} of secret ${this.arn} is not understood`);
    // Without a grants tag there is nothing schema-wide to prove.
    const schemas = tag ? schemasFromTag(this.secret.tags[TAGS.schemas]) : [];
    schemas.forEach((schema) => target.engine.validateSchemaName(schema));
    return { database: target.endpoint.database, schemas, privileges };
  }

  /** A session as `login`, or undefined when the server refuses the password. */
  tryLogin(target: Target, login: Login): Promise<EngineSession | undefined> {
    return tryLogin(target.engine, target.endpoint, login, this.deps.timeouts);
  }

  async canLogIn(target: Target, login: Login): Promise<boolean> {
    const session = await this.tryLogin(target, login);
    await session?.close();
    return session !== undefined;
  }

  /** Whether this function remembers the value of a version (an earlier step read or put it). */
  isKnown(versionId: string): boolean {
    return this.deps.versionCache?.get(this.arn, versionId) !== undefined;
  }

  /** Remembers a version this step put, for the steps after it. */
  remember(versionId: string, value: SecretString): void {
    this.deps.versionCache?.set(this.arn, versionId, value);
  }

  private async read(version: { stage: string; versionId?: string }): Promise<AppSecretValue | undefined> {
    // Which version holds the stage is DescribeSecret's word, read in this step; its value may be known.
    const versionId = version.versionId ?? this.versionWith(version.stage);
    const known = versionId ? this.deps.versionCache?.get(this.arn, versionId) : undefined;
    if (known && versionId && this.secret.versions[versionId]?.includes(version.stage))
      return parseAppSecret(this.arn, known);
    try {
      const selector = version.versionId ? { versionId: version.versionId } : { stage: version.stage };
      const got = await this.deps.store.getVersion(this.arn, selector);
      // A version id with another stage than asked is not the version we want.
      if (!got.stages.includes(version.stage)) return undefined;
      this.remember(got.versionId, got.secretString);
      return parseAppSecret(this.arn, got.secretString);
    } catch (error) {
      // Secrets Manager stages the token before createSecret puts its value: nothing to read yet.
      if (error instanceof SecretNotFoundError) return undefined;
      throw error;
    }
  }
}

/** The secret's master may act only on the server the secret points at. */
export function ensureSameServer(context: RotationContext, secretTarget: Target, masterTarget: Target): void {
  const secretAt = secretTarget.endpoint;
  const masterAt = masterTarget.endpoint;
  if (secretAt.host.toLowerCase() !== masterAt.host.toLowerCase() || secretAt.port !== masterAt.port) {
    throw new MasterElsewhereError(
      context.arn,
      `${secretAt.host}:${secretAt.port}`,
      `${masterAt.host}:${masterAt.port}`,
    );
  }
}

/**
 * The master's description, once it still lends itself to this secret (by the stack that made
 * it, or by its name): a secret that merely names a master does not make the master act.
 */
export async function masterActingFor(
  context: RotationContext,
  masterArn: string,
): Promise<SecretDescription> {
  const described = await describeMaster(context.deps, masterArn);
  consentForRotatedSecret(described, context.secret, context.deps.accountId);
  return described;
}
