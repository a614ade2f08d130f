import { mysql } from '../../../lib/engines/mysql/adapter';
import { postgresql } from '../../../lib/engines/postgresql/adapter';
import { ENGINE_NAMES, engineNameOfRds, findEngine } from '../../../lib/engines/registry';

describe('engine registry', () => {
  it('names the engines of the secret JSON, aliases sharing an adapter', () => {
    expect(ENGINE_NAMES).toEqual(['postgres', 'aurora-postgresql', 'mysql', 'mariadb', 'aurora-mysql']);
    expect(findEngine('aurora-postgresql')).toBe(postgresql);
    expect(findEngine('mariadb')).toBe(mysql);
  });

  it('knows no engine by a name it does not list, an inherited property included', () => {
    expect(findEngine('oracle')).toBeUndefined();
    expect(findEngine('constructor')).toBeUndefined();
  });

  it("reads RDS's own engine names: plain aurora is aurora-mysql, the rest are the secret's", () => {
    expect(engineNameOfRds('aurora')).toBe('aurora-mysql');
    expect(engineNameOfRds('aurora-postgresql')).toBe('aurora-postgresql');
    expect(engineNameOfRds('constructor')).toBe('constructor');
  });
});
