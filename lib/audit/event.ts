import * as z from 'zod/mini';
import { InvalidAuditRequestError } from './errors';
import type { AuditOptions } from './run';

/** At most this many secrets in one on-demand audit (a bigger fleet: the scheduled run). */
export const MAX_SECRET_IDS = 50;

/** The schedule rule's input (handlers/resources/audit.yml). */
const scheduled = z.strictObject({ trigger: z.literal('schedule') });

/** An on-demand run (`aws lambda invoke`, `npm run audit -- --invoke`). */
const onDemand = z.strictObject({
  trigger: z.optional(z.literal('on-demand')),
  secretIds: z.optional(
    z
      .array(z.string().check(z.minLength(1), z.maxLength(2048)))
      .check(z.minLength(1), z.maxLength(MAX_SECRET_IDS)),
  ),
  repair: z.optional(z.boolean()),
  publish: z.optional(z.boolean()),
});

/**
 * The options of a run from its event: a scheduled run audits everything, publishes, and lets
 * the tags decide repairs; an on-demand run publishes unless told not to, and repairs only
 * when asked.
 */
export function auditRequestOf(event: unknown, budgetMs: number): AuditOptions {
  const asScheduled = scheduled.safeParse(event);
  if (asScheduled.success) return { trigger: 'schedule', repair: true, publish: true, budgetMs };
  const asked = onDemand.safeParse(event ?? {});
  if (!asked.success) {
    // Name the fields only: zod's messages may quote what was sent.
    const fields = [...new Set(asked.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
    throw new InvalidAuditRequestError(
      `expected {"trigger":"schedule"} or {secretIds?: up to ${MAX_SECRET_IDS} ids, repair?: boolean, publish?: boolean}; check ${fields.join(', ')}`,
    );
  }
  const { secretIds, repair, publish } = asked.data;
  return {
    trigger: 'on-demand',
    secretIds,
    repair: repair ?? false,
    publish: publish ?? true,
    budgetMs,
  };
}
