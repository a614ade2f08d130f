/**
 * `npm run bench -- --postgres 17` measures PostgreSQL 17 alone (any major that
 * scripts/test-services.sh starts) instead of Debian's 15 and MariaDB. Imported first, before the test
 * environment reads where the servers are.
 */
const at = process.argv.indexOf('--postgres');
if (at >= 0) {
  const major = process.argv[at + 1] ?? '';
  if (!/^1[5-9]$/.test(major))
    throw new Error(`--postgres takes a major version, such as 17 (got "${major}")`);
  process.env.DBAUTH_PG_MAJOR = major;
  // The figures of that server alone: MariaDB's are the default run's.
  process.env.DBAUTH_TEST_MARIADB = 'no';
  process.env.DBAUTH_PG_PORT =
    major === '15'
      ? (process.env.DBAUTH_PG_PORT ?? '55432')
      : (process.env[`DBAUTH_PG${major}_PORT`] ?? `554${major}`);
}
