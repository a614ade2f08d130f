import type { Timeouts, TlsMode } from './engines/engine';
import type { PasswordPolicy } from './secrets/random-password';
import type { TlsDefaults } from './users/database-server';

/** Settings read from the Lambda's environment, with the defaults a deployment gets. */
export interface Settings {
  timeouts: Timeouts;
  tls: TlsDefaults;
  rotationLambdaArn?: string;
  defaultRotationSchedule: string;
  /** How rotation makes passwords; the custom resource's properties may override length and characters. */
  passwordPolicy: PasswordPolicy;
  responseMarginMs: number;
  /** Rotation and secret events: how long before the Lambda deadline the work gives up, to report. */
  deadlineMarginMs: number;
  eventBusName?: string;
  /** MySQL family: the host part of the accounts dbauth manages; the engine defaults to `%`. */
  mysqlUserHost?: string;
  /** Names of the secrets dbauth writes start with this; its roles may write nowhere else. */
  secretNamePrefix: string;
}

// Characters that break connection strings, .pgpass files, shells or either engine's quoting.
export const DEFAULT_EXCLUDED_CHARACTERS = ' :/@"\'\\`%$&;#?=[]{}<>|^~,';

/** Where dbauth's secrets live unless the deployment says otherwise (`SecretNamePrefix`). */
export const DEFAULT_SECRET_NAME_PREFIX = 'dbauth/';

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = Number(env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = env[name]?.toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return fallback;
}

function tlsModeOf(value: string | undefined): TlsMode {
  return value === 'disable' || value === 'require' || value === 'verify-full' ? value : 'verify-full';
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    timeouts: {
      connectMs: int(env, 'DBAUTH_CONNECT_TIMEOUT_MS', 5000),
      statementMs: int(env, 'DBAUTH_STATEMENT_TIMEOUT_MS', 10000),
    },
    tls: {
      mode: tlsModeOf(env.DBAUTH_TLS_MODE),
      caBundlePath: env.DBAUTH_CA_BUNDLE || undefined,
    },
    rotationLambdaArn: env.DBAUTH_ROTATION_FUNCTION_ARN || undefined,
    defaultRotationSchedule: env.DBAUTH_DEFAULT_ROTATION_SCHEDULE ?? 'rate(30 days)',
    passwordPolicy: {
      length: int(env, 'DBAUTH_PASSWORD_LENGTH', 32),
      excludeCharacters: env.DBAUTH_PASSWORD_EXCLUDE_CHARACTERS ?? DEFAULT_EXCLUDED_CHARACTERS,
      excludePunctuation: flag(env, 'DBAUTH_PASSWORD_EXCLUDE_PUNCTUATION', false),
      excludeNumbers: flag(env, 'DBAUTH_PASSWORD_EXCLUDE_NUMBERS', false),
      excludeUppercase: flag(env, 'DBAUTH_PASSWORD_EXCLUDE_UPPERCASE', false),
      excludeLowercase: flag(env, 'DBAUTH_PASSWORD_EXCLUDE_LOWERCASE', false),
      requireEachIncludedType: flag(env, 'DBAUTH_PASSWORD_REQUIRE_EACH_TYPE', true),
    },
    // Room for the answer itself: three PUTs of at most 2.5 s each, and their backoff.
    responseMarginMs: int(env, 'DBAUTH_RESPONSE_MARGIN_MS', 10000),
    // Room for a log line and a Rotation Failed event (each bounded, see protocol.ts).
    deadlineMarginMs: int(env, 'DBAUTH_DEADLINE_MARGIN_MS', 3000),
    eventBusName: env.DBAUTH_EVENT_BUS || undefined,
    mysqlUserHost: env.DBAUTH_MYSQL_USER_HOST || undefined,
    secretNamePrefix: env.DBAUTH_SECRET_NAME_PREFIX || DEFAULT_SECRET_NAME_PREFIX,
  };
}
