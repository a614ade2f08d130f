import type { SecretDescription } from '../secrets/secret-description';
import { TAGS } from '../secrets/tags';
import type { EventDetail } from './publisher';

/** The fields of a secret's JSON that say where its user is (no password among them). */
interface Whereabouts {
  engine?: string | undefined;
  host?: string | undefined;
  dbname?: string | undefined;
  username?: string | undefined;
}

/**
 * Where a secret's user is, for an event. dbauth's own secrets say it in their tags, which
 * DescribeSecret returned already; only other secrets cost a read of their current value.
 */
export async function whereaboutsOf(
  secret: SecretDescription,
  readCurrent: () => Promise<Whereabouts | undefined>,
): Promise<Partial<EventDetail>> {
  const { tags } = secret;
  const where: Whereabouts | undefined =
    tags[TAGS.engine] && tags[TAGS.host]
      ? {
          engine: tags[TAGS.engine],
          host: tags[TAGS.host],
          dbname: tags[TAGS.database],
          username: tags[TAGS.username],
        }
      : await readCurrent().catch(() => undefined);
  return {
    engine: where?.engine || undefined,
    host: where?.host || undefined,
    database: where?.dbname || undefined,
    user: where?.username || undefined,
  };
}
