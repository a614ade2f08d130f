import { auditRequestOf } from '../../../lib/audit/event';
import { InvalidAuditRequestError } from '../../../lib/audit/errors';
import { InvalidInputError } from '../../../lib/errors';

describe('the audit event', () => {
  it('runs everything, publishing and repairing by the tags, on the schedule', () => {
    expect(auditRequestOf({ trigger: 'schedule' }, 1000)).toEqual({
      trigger: 'schedule',
      repair: true,
      publish: true,
      budgetMs: 1000,
    });
  });

  it('takes an on-demand run with secrets, repair and publish; publishing by default, repairing only when asked', () => {
    expect(auditRequestOf({}, 5)).toEqual({
      trigger: 'on-demand',
      repair: false,
      publish: true,
      budgetMs: 5,
    });
    expect(auditRequestOf({ secretIds: ['a', 'b'], repair: true, publish: false }, 5)).toEqual({
      trigger: 'on-demand',
      secretIds: ['a', 'b'],
      repair: true,
      publish: false,
      budgetMs: 5,
    });
  });

  it('refuses anything else as bad input, naming the field and not its value', () => {
    const bad = [
      { trigger: 'nightly' },
      { secretIds: [] },
      { secretIds: Array(51).fill('x') },
      { repair: 'yes' },
      { password: 'hunter22' },
      'x',
    ];
    for (const event of bad) {
      let thrown: unknown;
      try {
        auditRequestOf(event, 1);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidAuditRequestError);
      expect(thrown).toBeInstanceOf(InvalidInputError);
      expect(String((thrown as Error).message)).not.toContain('hunter22');
    }
  });
});
