/** Which servers one jest project's integration tests run against (see jest.config.js). */
export interface ServerSelection {
  postgres: { major: number; port: number };
  /** MariaDB runs in one project only: its suites would otherwise run once per PostgreSQL major. */
  mariadb: boolean;
}
