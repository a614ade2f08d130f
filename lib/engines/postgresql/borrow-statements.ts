import { escapeLiteral as literal } from './escape';
import type { Statement } from './statements';

/**
 * PostgreSQL 16 gives a CREATEROLE master ADMIN OPTION on the roles it creates, but not their
 * privileges, which DROP OWNED, REASSIGN OWNED, ALTER DEFAULT PRIVILEGES FOR ROLE and grants on
 * a role's tables need. The master borrows them for one transaction (ADMIN OPTION lets it grant
 * the role to itself), notes what it took in a transaction-local setting, and gives it back
 * before COMMIT (RETURN_BORROWED_ROLES): its own memberships never grow, and a ROLLBACK undoes
 * the borrowing with the rest. Before 16, CREATEROLE lets it grant itself any non-superuser role.
 */
const BORROWED = literal('dbauth.borrowed_roles');
const borrowedRoles = `coalesce(nullif(current_setting(${BORROWED}, true), ''), '{}')::text[]`;

// PL/pgSQL: the master takes the privileges of `role` (an expression) unless it has them already.
export const borrowRole = (role: string) => `IF NOT pg_has_role(current_user, ${role}, 'USAGE') THEN
    IF current_setting('server_version_num')::int >= 160000 THEN
      EXECUTE format('GRANT %I TO CURRENT_USER WITH INHERIT TRUE, SET FALSE', ${role});
    ELSE EXECUTE format('GRANT %I TO CURRENT_USER', ${role}); END IF;
    PERFORM set_config(${BORROWED}, (${borrowedRoles} || (${role})::text)::text, true);
  END IF;`;

/** The master takes the privileges of `role` for this transaction; fails when it may not. */
export function borrow(role: string): Statement {
  return { sql: `DO $dbauth$ BEGIN ${borrowRole(literal(role))} END $dbauth$`, borrowsRoles: true };
}

/** Gives back every role this transaction borrowed (a role dropped meanwhile needs nothing). */
export const RETURN_BORROWED_ROLES: Statement = {
  sql: `DO $dbauth$ DECLARE role text; BEGIN
  FOREACH role IN ARRAY ${borrowedRoles} LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role) THEN EXECUTE format('REVOKE %I FROM CURRENT_USER', role); END IF;
  END LOOP;
  PERFORM set_config(${BORROWED}, '', true); END $dbauth$`,
};

/**
 * DROP OWNED revokes what others granted the user as those grantors (PostgreSQL 16+), such as
 * the owner login whose default privileges gave it SELECT on the owner's tables: the master
 * borrows each grantor it may. One it may not leaves DROP ROLE to name the objects in its error.
 */
export function borrowGrantorsTo(username: string): Statement {
  return {
    sql: `DO $dbauth$ DECLARE grantor name; BEGIN
  FOR grantor IN SELECT DISTINCT g.rolname FROM (
      SELECT a.grantor, a.grantee FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
      UNION ALL SELECT a.grantor, a.grantee FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
      UNION ALL SELECT d.defaclrole, a.grantee FROM pg_default_acl d CROSS JOIN LATERAL aclexplode(d.defaclacl) a
    ) acl JOIN pg_roles g ON g.oid = acl.grantor JOIN pg_roles u ON u.oid = acl.grantee
    WHERE u.rolname = ${literal(username)} AND NOT g.rolsuper AND g.rolname NOT IN (current_user, ${literal(username)})
  LOOP BEGIN
    ${borrowRole('grantor')}
  EXCEPTION WHEN insufficient_privilege THEN NULL; END; END LOOP; END $dbauth$`,
    borrowsRoles: true,
  };
}
