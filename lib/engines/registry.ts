import type { Engine, EngineAdapter } from './engine';
import { mysql } from './mysql/adapter';
import { postgresql } from './postgresql/adapter';

// The one place that knows engine names. One line per engine name of the secret JSON (as AWS's
// rotation functions write them); aliases share an adapter. Adapters load their drivers on
// first connect, so every handler may load this at cold start.
const ENGINES = {
  postgres: postgresql,
  'aurora-postgresql': postgresql,
  mysql,
  mariadb: mysql,
  'aurora-mysql': mysql,
} as const satisfies Record<string, EngineAdapter<string>>;

export type EngineName = keyof typeof ENGINES;
/** `postgresql` | `mysql`: what the adapters say they are. */
export type EngineFamily = (typeof ENGINES)[EngineName]['family'];

// RDS's own engine names where they differ from the secret JSON's: RDS calls the MySQL
// 5.6-compatible Aurora plain "aurora".
const RDS_ENGINE_NAMES: Record<string, EngineName> = { aurora: 'aurora-mysql' };

/** The engine names a secret may hold, in the registry's order. */
export const ENGINE_NAMES = Object.keys(ENGINES) as readonly EngineName[];

/** The adapter for an engine name, or undefined when dbauth does not support it. */
export function findEngine(name: string): Engine | undefined {
  return Object.hasOwn(ENGINES, name) ? ENGINES[name as EngineName] : undefined;
}

/** The secret JSON's name for an engine RDS names (DescribeDBInstances' `Engine`). */
export function engineNameOfRds(rdsEngine: string): string {
  const name = Object.hasOwn(RDS_ENGINE_NAMES, rdsEngine) ? RDS_ENGINE_NAMES[rdsEngine] : undefined;
  return name ?? rdsEngine;
}
