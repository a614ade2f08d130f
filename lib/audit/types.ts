import type { GrantSet } from '../engines/engine';
import type { EngineName } from '../engines/registry';
import type { Password } from '../secrets/password';
import type { SecretDescription } from '../secrets/secret-description';
import type { SslSetting } from '../secrets/secret-value';
import type { Strategy } from '../secrets/tags';

/**
 * What the drift audit can find. Server-side kinds come from one master session per server
 * (and one login per managed user); rotation kinds come from Secrets Manager alone.
 */
export const FINDING_KINDS = [
  'server-unreachable',
  'master-login-failed',
  'master-consent-missing',
  'secret-unreadable',
  'user-missing',
  'clone-missing',
  'password-mismatch',
  'login-failed',
  'clone-role-mismatch',
  'grant-missing',
  'grant-extra',
  'clone-grants-differ',
  'tls-not-required',
  'rotation-disabled',
  'rotation-foreign-function',
  'rotation-overdue',
  'rotation-pending',
  'orphan-clone',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/**
 * One thing that does not match its declaration. `expected` and `found` are short, sorted,
 * stable texts (`SELECT on app.orders`, `REQUIRE SSL`): never a password, a hash or a secret
 * string, so a finding can be logged, published and printed as it is.
 */
export interface Finding {
  kind: FindingKind;
  /** The managed secret; absent for a server-wide finding (unreachable, orphan clone). */
  secretArn?: string;
  engine: EngineName | string;
  host: string;
  port: number;
  database?: string;
  user?: string;
  /** Which login of the secret: its user or the alternating strategy's clone. */
  login?: 'user' | 'clone';
  expected: string[];
  found: string[];
  /** Words for a person (a reason class, a hint); not part of the finding's identity. */
  note?: string;
  /** What repair did about it, when the secret asked for repair. */
  repair?: 'done' | 'partial' | 'failed';
}

/** What one managed secret declares, read from its tags and its AWSCURRENT value. */
export interface Declaration {
  secretArn: string;
  /** The master secret that made the user (the secret's `masterarn`, else `dbauth:master`). */
  masterArn: string;
  engine: EngineName;
  host: string;
  port: number;
  user: string;
  /** The alternating strategy's second login (`engine.cloneUsername(user)`). */
  clone?: string;
  strategy: Strategy;
  grants: GrantSet;
  /** MySQL family: the account must REQUIRE SSL (dbauth made it so when TLS was asked for). */
  tlsRequired: boolean;
  /** The secret's TLS wish (its `ssl`), as rotation reads it to log in. */
  ssl?: SslSetting;
  /** `dbauth:on-drift`: `report` (default) or `repair`. */
  onDrift: 'report' | 'repair';
}

/**
 * A server the audit visits once, as one master, with every declaration that lives there
 * (two masters of one server are two targets).
 */
export interface ServerTarget {
  engine: EngineName;
  host: string;
  port: number;
  masterArn: string;
  declarations: Declaration[];
}

/** A login the audit tries, read from a managed secret: never logged, never in a finding. */
export interface AuditLogin {
  stage: 'AWSCURRENT' | 'AWSPREVIOUS' | 'AWSPENDING';
  username: string;
  password: Password;
}

/** What one server's audit needs besides the target. */
export interface ServerAuditInput {
  target: ServerTarget;
  /** The master's description, when the caller read it already (its consent): not read again. */
  masterDescription?: SecretDescription;
  /**
   * The logins to try for a declaration: AWSCURRENT, and for the alternating strategy the
   * AWSPREVIOUS that names the other login of the pair. Read lazily, once.
   */
  loginsOf(declaration: Declaration): Promise<AuditLogin[]>;
  /** Connections the audit may hold open to this server at once, the master's included (>= 2). */
  maxConnections: number;
  /** Epoch ms at which this server's audit stops, whatever it has done. */
  deadlineAt: number;
  /** Secrets whose `dbauth:on-drift` is `repair` get their grants, clone and TLS put back. */
  repair: boolean;
}

/** One server's outcome: its findings, and the secrets it could not check (with why). */
export interface ServerAuditResult {
  findings: Finding[];
  checked: string[];
  unchecked: { secretArn: string; reason: string }[];
  /** Most connections open to the server at once during its audit. */
  peakConnections: number;
}
