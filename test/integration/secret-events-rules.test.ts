import './support/env';
import { packagedTemplate } from '../support/packaged-template';
import { EventQueue } from './support/event-queue';
import { EVENT_FIXTURES, secretEvent, type EventFixture } from './support/secret-events';

interface Template {
  Resources: Record<string, { Type: string; Properties?: { EventPattern?: Record<string, unknown> } }>;
}

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/orders-AbCdEf';
const MASTER = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0a1b2c3d-XyZ123';

// Which fixture each rule of the secretEvents function must let through; every other one it must not.
const EXPECTED: Record<string, EventFixture[]> = {
  'CreateSecret or TagResource with a dbauth: tag': ['create-secret', 'tag-resource'],
  'UntagResource of a dbauth: tag': ['untag-resource'],
  'rotation failed or abandoned': ['rotation-failed', 'rotation-abandoned'],
  'AWSCURRENT moved': ['secret-label-updated'],
};

function describePattern(pattern: Record<string, unknown>): string {
  const text = JSON.stringify(pattern);
  if (text.includes('UntagResource')) return 'UntagResource of a dbauth: tag';
  if (text.includes('CreateSecret')) return 'CreateSecret or TagResource with a dbauth: tag';
  if (text.includes('RotationFailed')) return 'rotation failed or abandoned';
  if (text.includes('Secret Label Updated')) return 'AWSCURRENT moved';
  return text;
}

/**
 * EventBridge matches a pattern field against every element of an array of objects (its
 * matcher flattens `tags: [{key, value}]` to `tags.key: [...]`, `tags.value: [...]`); moto's
 * matcher flattens objects only. The events are handed to moto in that flattened form, so
 * moto's own matcher decides, on the template's unchanged patterns.
 */
function asEventBridgeReadsIt(node: unknown): unknown {
  if (Array.isArray(node)) {
    if (node.length > 0 && node.every((item) => item && typeof item === 'object' && !Array.isArray(item))) {
      const keys = [...new Set(node.flatMap((item) => Object.keys(item as object)))];
      return Object.fromEntries(
        keys.map((key) => [
          key,
          node.map((item) => asEventBridgeReadsIt((item as Record<string, unknown>)[key])),
        ]),
      );
    }
    return node.map(asEventBridgeReadsIt);
  }
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, asEventBridgeReadsIt(value)]));
  }
  return node;
}

describe('EventBridge rules of the packaged template, routed by moto', () => {
  const queues = new Map<string, EventQueue>();

  beforeAll(async () => {
    const template = packagedTemplate<Template>();
    const patterns = Object.values(template.Resources)
      // Rules on events; the drift audit's schedule rule matches none.
      .filter((resource) => resource.Type === 'AWS::Events::Rule' && resource.Properties?.EventPattern)
      .map((resource) => resource.Properties?.EventPattern ?? {});
    for (const pattern of patterns) {
      const queue = new EventQueue();
      await queue.start(pattern);
      queues.set(describePattern(pattern), queue);
    }
  }, 300_000);

  it('has one rule for each kind of event the function handles', () => {
    expect([...queues.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('lets each fixture event through exactly the rules meant for it, and no look-alike through any', async () => {
    const matched: Record<string, EventFixture[]> = Object.fromEntries(
      Object.keys(EXPECTED).map((k) => [k, []]),
    );
    for (const fixture of EVENT_FIXTURES) {
      const event = asEventBridgeReadsIt(
        secretEvent(fixture, { secretArn: SECRET, secretName: 'dbauth/test/app/orders', masterArn: MASTER }),
      ) as Record<string, unknown>;
      for (const queue of queues.values()) await queue.put(event);
      for (const [rule, queue] of queues) {
        if ((await queue.drain()).length > 0) matched[rule]?.push(fixture);
      }
    }
    expect(matched).toEqual(EXPECTED);
  });
});
