import type { AuditServer } from './run';

/**
 * The per-server audit of a build without database checks: it visits no server and says so
 * for each secret (which keeps their database findings open in the state, never resolved).
 * `handlers/audit.ts` uses it until `lib/audit/server-audit.ts` is wired in.
 */
export const noServerChecks: AuditServer = async ({ target }) => ({
  findings: [],
  checked: [],
  unchecked: target.declarations.map((d) => ({
    secretArn: d.secretArn,
    reason: 'database checks are not part of this build',
  })),
  peakConnections: 0,
});
