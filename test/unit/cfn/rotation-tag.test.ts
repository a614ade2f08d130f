import { rotationTagOf } from '../../../lib/cfn/plan';
import { TAG_VALUE } from '../../../lib/secrets/tags';

describe('the dbauth:rotation tag of a stack secret (what the drift audit reads as declared)', () => {
  it('says off, a number of days, or schedule (a tag value cannot hold the expression)', () => {
    const values = [
      rotationTagOf(undefined),
      rotationTagOf({ Strategy: 'single', Enabled: false, AutomaticallyAfterDays: 7 }),
      rotationTagOf({ Strategy: 'single', Enabled: true, AutomaticallyAfterDays: 7 }),
      rotationTagOf({ Strategy: 'single', Enabled: true, Schedule: 'rate(30 days)' }),
      rotationTagOf({ Strategy: 'single', Enabled: true }),
    ];
    expect(values).toEqual(['off', 'off', '7', 'schedule', 'schedule']);
    for (const value of values) expect(TAG_VALUE.test(value)).toBe(true);
  });
});
