import type { EngineName } from '../secrets/secret-value';
import type { Engine } from './engine';
import { mysql } from './mysql/adapter';
import { postgresql } from './postgresql/adapter';

// One line per engine name of the secret JSON; aliases share an adapter.
const ENGINES: Record<EngineName, Engine> = {
  postgres: postgresql,
  'aurora-postgresql': postgresql,
  mysql,
  mariadb: mysql,
  'aurora-mysql': mysql,
};

/** The adapter for an engine name, or undefined when dbauth does not support it. */
export function findEngine(name: string): Engine | undefined {
  return Object.prototype.hasOwnProperty.call(ENGINES, name) ? ENGINES[name as EngineName] : undefined;
}
