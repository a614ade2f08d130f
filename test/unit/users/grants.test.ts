import { diffGrants, grantsFromTag, privilegesOf } from '../../../lib/users/grants';

describe('diffGrants', () => {
  it('revokes what went and grants what came in a schema kept on both sides', () => {
    const changes = diffGrants(
      { database: 'app', schemas: ['public'], privileges: privilegesOf('readwrite') },
      { database: 'app', schemas: ['public'], privileges: privilegesOf('readonly') },
    );
    expect(changes.revoke).toEqual([
      {
        grants: { database: 'app', schemas: ['public'], privileges: ['DELETE', 'INSERT', 'UPDATE'] },
        schemaAccess: false,
      },
    ]);
    expect(changes.grant).toEqual([]);
  });

  it('takes all access from a schema that went and gives all to one that came', () => {
    const changes = diffGrants(
      { database: 'app', schemas: ['old'], privileges: ['SELECT'] },
      { database: 'app', schemas: ['new'], privileges: ['SELECT'] },
    );
    expect(changes.revoke).toEqual([
      { grants: { database: 'app', schemas: ['old'], privileges: ['SELECT'] }, schemaAccess: true },
    ]);
    expect(changes.grant).toEqual([{ database: 'app', schemas: ['new'], privileges: ['SELECT'] }]);
  });
});

describe('diffGrants scoped to the database (MySQL)', () => {
  it('ignores schemas: dropping one of two schemas keeps every privilege', () => {
    const changes = diffGrants(
      { database: 'app', schemas: ['a', 'b'], privileges: ['SELECT'] },
      { database: 'app', schemas: ['a'], privileges: ['INSERT', 'SELECT'] },
      'database',
    );
    expect(changes).toEqual({
      revoke: [],
      grant: [{ database: 'app', schemas: [], privileges: ['INSERT'] }],
    });
  });
});

describe('grantsFromTag', () => {
  it('reads a preset or a privilege list, and refuses anything else', () => {
    expect(grantsFromTag('readonly')).toEqual(['SELECT']);
    expect(grantsFromTag(' select, insert ')).toEqual(['INSERT', 'SELECT']);
    expect(grantsFromTag('SELECT, DROP TABLE x')).toBeUndefined();
    expect(grantsFromTag('')).toBeUndefined();
  });
});
