import type { SecretDescription } from '../../../lib/secrets/secret-description';
import type { AuditedFinding } from '../../../lib/audit/report';
import type { Finding } from '../../../lib/audit/types';

export const OUR_FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:dbauth-prod-rotate';
export const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:dbauth/orders/app-AbCdEf';
export const DAY = 86_400_000;

/** A managed secret as ListSecrets describes it (moto's shape unless overridden). */
export function described(overrides: Partial<SecretDescription> = {}): SecretDescription {
  return {
    arn: SECRET_ARN,
    name: 'dbauth/orders/app',
    rotationEnabled: true,
    rotationLambdaArn: OUR_FUNCTION,
    rotationSchedule: '30',
    versions: { v1: ['AWSCURRENT'] },
    tags: { 'dbauth:managed-by': 'tags', 'dbauth:rotation': '30' },
    createdDate: new Date('2026-11-01T00:00:00Z'),
    lastRotatedDate: new Date('2026-11-01T00:00:00Z'),
    ...overrides,
  };
}

export const WHERE = {
  engine: 'postgres',
  host: 'db-1.example',
  port: 5432,
  user: 'orders_app',
  database: 'app',
};

export function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    kind: 'grant-extra',
    secretArn: SECRET_ARN,
    ...WHERE,
    login: 'user',
    expected: ['SELECT on public.orders'],
    found: ['INSERT on public.orders'],
    ...overrides,
  };
}

export function audited(overrides: Partial<AuditedFinding> = {}): AuditedFinding {
  return {
    ...finding(),
    findingId: '0123456789abcdef',
    fingerprint: 'fedcba9876543210',
    status: 'new',
    firstSeen: '2026-12-01T00:00:00.000Z',
    ...overrides,
  };
}
