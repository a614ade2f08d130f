import { markRepairs } from '../../../lib/audit/repair';
import {
  catalogFindings,
  mergeFindings,
  orphanClones,
  type CatalogView,
} from '../../../lib/audit/server-findings';
import type { Declaration, ServerTarget } from '../../../lib/audit/types';
import type { AccountState } from '../../../lib/engines/audit';

const declaration: Declaration = {
  secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:dbauth/app-AbCdEf',
  masterArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:master-AbCdEf',
  engine: 'mariadb',
  host: 'db.example',
  port: 3306,
  user: 'app',
  clone: 'app_clone',
  strategy: 'alternating',
  grants: { database: 'app_db', schemas: [], privileges: ['SELECT'] },
  tlsRequired: true,
  onDrift: 'report',
};
const target: ServerTarget = {
  engine: 'mariadb',
  host: 'db.example',
  port: 3306,
  masterArn: declaration.masterArn,
  declarations: [declaration],
};
const account = (login: string, over: Partial<AccountState> = {}): AccountState => ({
  login,
  exists: true,
  canLogin: true,
  locked: false,
  expired: false,
  elevated: [],
  memberOf: [],
  requiresTls: true,
  ...over,
});
const view = (over: Partial<CatalogView> = {}): CatalogView => ({
  accounts: new Map([
    ['app', account('app')],
    ['app_clone', account('app_clone')],
  ]),
  grants: new Map(),
  clones: new Map([['app_clone', { expected: [], found: [] }]]),
  ...over,
});
const logins = { user: 'app', clone: 'app_clone', cloneExpected: true };
const kinds = (v: CatalogView, l = logins) =>
  catalogFindings(target, declaration, l, v).map((f) => [f.kind, f.login]);

describe('server findings', () => {
  it('finds nothing when the catalogs match the declaration', () => {
    expect(kinds(view())).toEqual([]);
  });

  it('names a missing user, and only then checks nothing else of it', () => {
    const accounts = new Map([['app_clone', account('app_clone')]]);
    expect(kinds(view({ accounts }))).toEqual([['user-missing', 'user']]);
  });

  it('expects the clone only once a version of the secret names it', () => {
    const accounts = new Map([['app', account('app')]]);
    expect(kinds(view({ accounts }))).toEqual([['clone-missing', 'clone']]);
    expect(kinds(view({ accounts }), { ...logins, cloneExpected: false })).toEqual([]);
  });

  it('sorts grant lists and tells the clone kinds apart', () => {
    const findings = catalogFindings(target, declaration, logins, {
      ...view(),
      grants: new Map([['app', { missing: ['b', 'a'], extra: [{ text: 'z' }, { text: 'y' }] }]]),
      clones: new Map([
        ['app_clone', { differs: 'grants', expected: [], found: ['INSERT ON `app\\_db`.*'] }],
      ]),
    });
    expect(findings.map((f) => [f.kind, f.expected, f.found])).toEqual([
      ['grant-missing', ['a', 'b'], []],
      ['grant-extra', [], ['y', 'z']],
      ['clone-grants-differ', [], ['INSERT ON `app\\_db`.*']],
    ]);
  });

  it('asks TLS of both logins when the declaration does', () => {
    const accounts = new Map([
      ['app', account('app', { requiresTls: false })],
      ['app_clone', account('app_clone', { requiresTls: false })],
    ]);
    expect(kinds(view({ accounts }))).toEqual([
      ['tls-not-required', 'user'],
      ['tls-not-required', 'clone'],
    ]);
  });

  it('calls a clone orphaned only when no secret of the server claims it', () => {
    const single = { ...declaration, strategy: 'single' as const };
    const accounts = new Map([['app_clone', account('app_clone')]]);
    expect(
      orphanClones(target, [{ declaration: single, clone: 'app_clone' }], new Set(), accounts),
    ).toHaveLength(1);
    expect(
      orphanClones(target, [{ declaration: single, clone: 'app_clone' }], new Set(['app_clone']), accounts),
    ).toEqual([]);
  });

  it('merges two sightings of one kind on one login', () => {
    const [a, b] = [
      catalogFindings(target, declaration, logins, {
        ...view(),
        clones: new Map([['app_clone', { differs: 'role', expected: ['x'], found: [] }]]),
      }),
      catalogFindings(target, declaration, logins, {
        ...view(),
        clones: new Map([['app_clone', { differs: 'role', expected: ['y'], found: ['z'] }]]),
      }),
    ];
    expect(mergeFindings([...(a ?? []), ...(b ?? [])]).map((f) => [f.expected, f.found])).toEqual([
      [['x', 'y'], ['z']],
    ]);
  });

  it('marks a repair done, partial or failed by what the check after it found', () => {
    const before = catalogFindings(target, declaration, logins, {
      ...view(),
      grants: new Map([['app', { missing: ['a'], extra: [{ text: 'x' }, { text: 'y' }] }]]),
    });
    const after = catalogFindings(target, declaration, logins, {
      ...view(),
      grants: new Map([['app', { missing: [], extra: [{ text: 'y' }] }]]),
    });
    expect(markRepairs(before, after, undefined).map((f) => [f.kind, f.repair])).toEqual([
      ['grant-missing', 'done'],
      ['grant-extra', 'partial'],
    ]);
    expect(markRepairs(before, before, 'denied').map((f) => f.repair)).toEqual(['failed', 'failed']);
  });
});
