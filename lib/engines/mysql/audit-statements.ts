import type { Flavour, Query, Statement } from './statements';

// The drift audit's SQL for the MySQL family: what it reads of accounts, and what repair runs.

/**
 * Accounts of `host` among `users`, without their password hashes. MariaDB 10.4+ keeps them as
 * JSON in mysql.global_priv (ssl_type 0/absent: none; 1: ANY, i.e. REQUIRE SSL; 2: X509;
 * 3: SPECIFIED; password_last_changed 0: PASSWORD EXPIRE); MySQL 8 in mysql.user columns.
 */
export function accounts(users: string[], host: string, flavour: Flavour): Query {
  if (flavour === 'mariadb') {
    return {
      sql: `SELECT User AS login, JSON_VALUE(Priv, '$.ssl_type') AS ssl_type, JSON_VALUE(Priv, '$.plugin') AS plugin,
    JSON_VALUE(Priv, '$.account_locked') AS locked, JSON_VALUE(Priv, '$.password_last_changed') = '0' AS expired
  FROM mysql.global_priv WHERE Host = ? AND User IN (?)`,
      params: [host, users],
    };
  }
  return {
    sql: `SELECT User AS login, ssl_type, plugin, account_locked = 'Y' AS locked, password_expired = 'Y' AS expired
  FROM mysql.user WHERE Host = ? AND User IN (?)`,
    params: [host, users],
  };
}

/** Who the session acts as and who logged in, without the host part. */
export const CURRENT_ROLES: Query = {
  sql: `SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AS current, SUBSTRING_INDEX(USER(), '@', 1) AS session`,
  params: [],
};

/** The account must use TLS from now on; its password stays as it is. */
export function requireSsl(grantee: string): Statement {
  return { sql: `ALTER USER ${grantee} REQUIRE SSL` };
}

/** Takes back a proxy right (`on` as SHOW GRANTS writes it: `''@'%'`). */
export function revokeProxy(on: string, grantee: string): Statement {
  return { sql: `REVOKE PROXY ON ${on} FROM ${grantee}` };
}
