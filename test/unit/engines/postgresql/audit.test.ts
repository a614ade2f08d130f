import {
  compareCloneAccount,
  extraAccount,
  extraRows,
  isDeclaredRow,
  missingDefaults,
  rowText,
  type GrantRow,
} from '../../../../lib/engines/postgresql/audit';
import { revokeExtra } from '../../../../lib/engines/postgresql/audit-statements';
import type { GrantSet } from '../../../../lib/engines/engine';

const readwrite: GrantSet = {
  database: 'app',
  schemas: ['public'],
  privileges: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
};
const row = (over: Partial<GrantRow>): GrantRow => ({
  login: 'u',
  on_kind: 'table',
  schema: 'public',
  name: 'items',
  col: '',
  for_role: '',
  privilege: 'SELECT',
  grantable: false,
  owner: 'master',
  ...over,
});
const account = {
  login: 'u',
  exists: true,
  canLogin: true,
  locked: false,
  expired: false,
  elevated: [],
  memberOf: [],
};

describe('PostgreSQL grant audit', () => {
  it('accepts exactly what grant makes: CONNECT, USAGE, table and sequence privileges, their defaults FOR ROLE anyone', () => {
    const declared = [
      row({ on_kind: 'database', schema: 'app', privilege: 'CONNECT' }),
      row({ on_kind: 'schema', privilege: 'USAGE' }),
      row({ privilege: 'INSERT' }),
      row({ on_kind: 'sequence', name: 'items_id_seq', privilege: 'USAGE' }),
      row({ on_kind: 'default:r', for_role: 'app_owner', privilege: 'DELETE' }),
      row({ on_kind: 'default:S', for_role: 'master', privilege: 'UPDATE' }),
    ];
    expect(extraRows(declared, readwrite)).toEqual([]);
  });

  it('calls extra what grant never makes: CREATE, TRUNCATE, columns, grant options, other schemas and databases, default:f, global defaults', () => {
    const extras = extraRows(
      [
        row({ on_kind: 'schema', privilege: 'CREATE' }),
        row({ privilege: 'TRUNCATE' }),
        row({ on_kind: 'column', col: 'name', privilege: 'UPDATE' }),
        row({ grantable: true }),
        row({ schema: 'other' }),
        row({ on_kind: 'database', schema: 'elsewhere', privilege: 'CONNECT' }),
        row({ on_kind: 'default:f', for_role: 'master', privilege: 'EXECUTE' }),
        row({ on_kind: 'default:r', schema: '*', for_role: 'master', privilege: 'SELECT' }),
        row({ on_kind: 'sequence', name: 's', privilege: 'SELECT', grantable: false, login: 'u' }),
      ],
      { ...readwrite, privileges: ['INSERT'] },
    );
    expect(extras.map((e) => e.text)).toEqual([
      'CREATE on schema public',
      'TRUNCATE on public.items',
      'UPDATE (name) on public.items',
      'SELECT on public.items WITH GRANT OPTION',
      'SELECT on other.items',
      'CONNECT on database elsewhere',
      'default EXECUTE on functions in public for master',
      'default SELECT on tables everywhere for master',
      'SELECT on sequence public.s',
    ]);
  });

  it('takes back only the option of a declared privilege held WITH GRANT OPTION', () => {
    const [extra] = extraRows([row({ grantable: true })], readwrite);
    expect(revokeExtra('u', extra?.recipe as never).map((s) => s.sql)[1]).toBe(
      'REVOKE GRANT OPTION FOR SELECT ON TABLE "public"."items" FROM "u"',
    );
  });

  it('holds a clone to nothing of its own but its membership of the user', () => {
    expect(isDeclaredRow(row({}), undefined)).toBe(false);
    const clone = { ...account, login: 'u_clone', memberOf: ['u', 'pg_read_all_data'], actsAs: 'u' };
    expect(extraAccount(clone, 'u').map((e) => e.text)).toEqual(['member of pg_read_all_data']);
    expect(compareCloneAccount('u', clone)).toEqual({ expected: [], found: [] });
    expect(compareCloneAccount('u', { ...clone, memberOf: [] })).toEqual({
      differs: 'role',
      expected: ['member of u', 'role=u at login'],
      found: ['role=u at login'],
    });
  });

  it('calls extra every attribute and membership of a user', () => {
    const extras = extraAccount({ ...account, elevated: ['CREATEDB'], memberOf: ['other'] }, undefined);
    expect(extras.map((e) => e.text)).toEqual(['CREATEDB', 'member of other']);
    expect(extras.map((e) => revokeExtra('u', e.recipe as never).map((s) => s.sql))).toEqual([
      ['ALTER ROLE "u" NOCREATEDB'],
      ['REVOKE "other" FROM "u"'],
    ]);
  });

  it('expects default privileges FOR ROLE the master and each managed creator of the schema', () => {
    const rows = [
      row({ on_kind: 'default:r', for_role: 'master', privilege: 'SELECT' }),
      row({ on_kind: 'default:S', for_role: 'master', privilege: 'SELECT' }),
    ];
    const readonly = { ...readwrite, privileges: ['SELECT' as const] };
    expect(missingDefaults(rows, readonly, 'master', [])).toEqual([]);
    expect(missingDefaults(rows, readonly, 'master', [{ login: 'app_owner', schema: 'public' }])).toEqual([
      'default SELECT on tables in public for app_owner',
      'default SELECT on sequences in public for app_owner',
    ]);
    expect(rowText(row({ on_kind: 'default:r', for_role: 'm', privilege: 'DELETE' }))).toBe(
      'default DELETE on tables in public for m',
    );
  });

  it('revokes a default privilege as the role it belongs to, borrowing it', () => {
    const [extra] = extraRows([row({ on_kind: 'default:r', for_role: 'master', privilege: 'DELETE' })], {
      ...readwrite,
      privileges: ['SELECT'],
    });
    const statements = revokeExtra('u', extra?.recipe as never);
    expect(statements[0]?.borrowsRoles).toBe(true);
    expect(statements[1]?.sql).toBe(
      'ALTER DEFAULT PRIVILEGES FOR ROLE "master" IN SCHEMA "public" REVOKE DELETE ON TABLES FROM "u"',
    );
  });
});
