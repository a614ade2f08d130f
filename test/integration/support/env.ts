/** Where the services of scripts/test-services.sh listen (its defaults, or its env file's). */
export const testEnv = {
  pg: {
    host: process.env.DBAUTH_PG_HOST ?? '127.0.0.1',
    port: Number(process.env.DBAUTH_PG_PORT ?? 55432),
    /** The major version the server on that port runs (its project says; global setup checks). */
    major: Number(process.env.DBAUTH_PG_MAJOR ?? 15),
    adminUser: process.env.DBAUTH_PG_ADMIN_USER ?? 'postgres',
    adminPassword: process.env.DBAUTH_PG_ADMIN_PASSWORD ?? 'dbauth-local-admin',
  },
  mariadb: {
    /** Whether this run's tests use MariaDB (one jest project does). */
    inUse: process.env.DBAUTH_TEST_MARIADB !== 'no',
    host: process.env.DBAUTH_MARIADB_HOST ?? '127.0.0.1',
    port: Number(process.env.DBAUTH_MARIADB_PORT ?? 53306),
    adminUser: process.env.DBAUTH_MARIADB_ADMIN_USER ?? 'root',
    adminPassword: process.env.DBAUTH_MARIADB_ADMIN_PASSWORD ?? 'dbauth-local-admin',
  },
  aws: {
    endpoint: process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:54566',
    region: process.env.AWS_REGION ?? 'us-east-1',
  },
};

// The SDK's default credential chain must find dummy keys, never real ones.
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = testEnv.aws.region;
process.env.AWS_ENDPOINT_URL = testEnv.aws.endpoint;
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;
