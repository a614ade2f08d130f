import type { Deps } from '../deps';
import { describeError } from '../errors';
import type { SecretDescription } from '../secrets/secret-description';
import { consentForRotatedSecret, refuseStrongerGrants } from '../users/consent';
import { ConsentRefusedError } from '../users/errors';
import { describeMaster } from '../users/master-session';
import { serverFinding } from './server-findings';
import type { Declaration, Finding, ServerTarget } from './types';

/** A target cut down to the secrets its master still consents to, and what was cut. */
export interface ConsentedTarget {
  target: ServerTarget;
  /** The master as described for its consent, for the login that follows. */
  master?: SecretDescription;
  findings: Finding[];
  refused: { secretArn: string; reason: string }[];
  warnings: string[];
}

/**
 * The audit logs in as a master, so it holds the master to the same consent as every other
 * path (its `dbauth:allow-*` tags, read before its value): a secret the master no longer
 * serves is a `master-consent-missing` finding and is not checked with it; repair also
 * stays within `dbauth:max-grants`. A master that cannot be described is not used at all.
 */
export async function consentedTarget(
  target: ServerTarget,
  descriptions: ReadonlyMap<string, SecretDescription>,
  deps: Pick<Deps, 'store' | 'accountId'>,
): Promise<ConsentedTarget> {
  let master: SecretDescription;
  try {
    master = await describeMaster(deps, target.masterArn);
  } catch (error) {
    const reason = `master ${target.masterArn} could not be described: ${describeError(error)}`;
    return {
      target: { ...target, declarations: [] },
      findings: [serverFinding(target, 'master-login-failed', 'not described', reason)],
      refused: target.declarations.map((d) => ({ secretArn: d.secretArn, reason })),
      warnings: [],
    };
  }
  const kept: Declaration[] = [];
  const result: ConsentedTarget = { target, master, findings: [], refused: [], warnings: [] };
  for (const declaration of target.declarations) {
    const secret = descriptions.get(declaration.secretArn);
    try {
      if (!secret) throw new ConsentRefusedError(`secret ${declaration.secretArn} was not described`);
      const consent = consentForRotatedSecret(master, secret, deps.accountId);
      kept.push(
        repairWithin(declaration, () => refuseStrongerGrants(consent, declaration.grants.privileges), result),
      );
    } catch (error) {
      if (!(error instanceof ConsentRefusedError)) throw error;
      result.findings.push({
        kind: 'master-consent-missing',
        secretArn: declaration.secretArn,
        engine: target.engine,
        host: target.host,
        port: target.port,
        database: declaration.grants.database,
        user: declaration.user,
        expected: ['the master consents to this secret'],
        found: ['refused'],
        note: error.message,
      });
      result.refused.push({ secretArn: declaration.secretArn, reason: 'the master does not consent' });
    }
  }
  result.target = { ...target, declarations: kept };
  return result;
}

/** A declaration whose grants exceed what the master lends is reported, never repaired. */
function repairWithin(declaration: Declaration, check: () => void, result: ConsentedTarget): Declaration {
  if (declaration.onDrift !== 'repair') return declaration;
  try {
    check();
    return declaration;
  } catch (error) {
    if (!(error instanceof ConsentRefusedError)) throw error;
    result.warnings.push(`${declaration.secretArn}: not repaired: ${error.message}`);
    return { ...declaration, onDrift: 'report' };
  }
}
