import { findEngine } from '../engines/registry';
import type { SecretDescription } from '../secrets/secret-description';
import type { AppSecretValue } from '../secrets/secret-value';
import { TAGS } from '../secrets/tags';
import { tlsMode, type TlsDefaults } from '../users/database-server';
import { grantsFromTag, schemasFromTag } from '../users/grants';
import type { Declaration } from './types';

/** A declaration, or why the secret declares nothing the audit can check. */
export type DeclarationOrProblem = { declaration: Declaration; warning?: string } | { problem: string };

/**
 * What a managed secret declares: its tags (grants, schemas, database, strategy, on-drift)
 * and its AWSCURRENT value (server, user, master, TLS wish). `dbauth:applied` is what was
 * done, not what is declared, and is not read.
 */
export function declarationOf(
  description: SecretDescription,
  value: AppSecretValue,
  tls: TlsDefaults,
): DeclarationOrProblem {
  const { tags } = description;
  const engine = findEngine(value.engine);
  if (!engine) return { problem: `engine ${value.engine} is not one dbauth supports` };
  const privileges = grantsFromTag(tags[TAGS.grants] ?? 'readonly');
  if (!privileges) return { problem: `tag ${TAGS.grants} is not a preset or a list of privileges` };
  const masterArn = value.masterarn || tags[TAGS.master];
  if (!masterArn) return { problem: `the secret names no master (masterarn, or tag ${TAGS.master})` };
  const user = tags[TAGS.username] || value.username;
  const strategy = tags[TAGS.strategy] === 'alternating' ? 'alternating' : 'single';
  const onDrift = tags[TAGS.onDrift]?.trim();
  const declaration: Declaration = {
    secretArn: description.arn,
    masterArn,
    engine: value.engine,
    host: value.host.toLowerCase(),
    port: value.port,
    user,
    clone: strategy === 'alternating' ? engine.cloneUsername(user) : undefined,
    strategy,
    grants: {
      database: tags[TAGS.database] || value.dbname || engine.defaultDatabase,
      schemas: schemasFromTag(tags[TAGS.schemas]),
      privileges,
    },
    // What dbauth did when it made the account: REQUIRE SSL when it spoke TLS to the server.
    tlsRequired: engine.family === 'mysql' && tlsMode(value.ssl, tls) !== 'disable',
    ssl: value.ssl,
    onDrift: onDrift === 'repair' ? 'repair' : 'report',
  };
  const warning =
    onDrift && onDrift !== 'repair' && onDrift !== 'report'
      ? `tag ${TAGS.onDrift} of ${description.arn} is neither report nor repair: reported only`
      : undefined;
  return warning ? { declaration, warning } : { declaration };
}
