import {
  CreateEventBusCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  EventBridgeClient,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { commonConfig } from '../../../lib/aws/clients';
import { testEnv } from './env';
import { uniqueSuffix } from './postgres';

const options = { endpoint: testEnv.aws.endpoint, region: testEnv.aws.region };
export const eventBridgeClient = (): EventBridgeClient => new EventBridgeClient(commonConfig(options));

export interface ReceivedEvent {
  source: string;
  'detail-type': string;
  detail: Record<string, unknown>;
  /** The message exactly as it arrived, for scans for passwords. */
  raw: string;
}

/**
 * A bus of its own with a rule that forwards every `dbauth` event to an SQS queue: moto
 * routes PutEvents through rules and delivers to SQS, so what a test reads really travelled.
 */
export class EventQueue {
  readonly busName = `dbauth-test-${uniqueSuffix()}`;
  private readonly sqs = new SQSClient(options);
  private queueUrl = '';
  /** Every event drained so far, in order: the leak checks scan them (`everyEvent`). */
  readonly received: ReceivedEvent[] = [];

  async start(pattern: Record<string, unknown> = { source: ['dbauth'] }): Promise<void> {
    const eventBridge = eventBridgeClient();
    await eventBridge.send(new CreateEventBusCommand({ Name: this.busName }));
    const queue = await this.sqs.send(new CreateQueueCommand({ QueueName: this.busName }));
    this.queueUrl = queue.QueueUrl ?? '';
    const attributes = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await eventBridge.send(
      new PutRuleCommand({
        Name: 'to-queue',
        EventBusName: this.busName,
        EventPattern: JSON.stringify(pattern),
      }),
    );
    await eventBridge.send(
      new PutTargetsCommand({
        Rule: 'to-queue',
        EventBusName: this.busName,
        Targets: [{ Id: 'queue', Arn: attributes.Attributes?.QueueArn ?? '' }],
      }),
    );
  }

  /** Puts an event (as EventBridge hands it to targets) on this queue's bus. */
  async put(event: Record<string, unknown>): Promise<void> {
    const out = await eventBridgeClient().send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: String(event.source),
            DetailType: String(event['detail-type']),
            Detail: JSON.stringify(event.detail),
            Resources: (event.resources as string[] | undefined) ?? [],
          },
        ],
      }),
    );
    if (out.FailedEntryCount) throw new Error(`PutEvents refused the event: ${JSON.stringify(out.Entries)}`);
  }

  /** Every event waiting in the queue now; each is read once. */
  async drain(): Promise<ReceivedEvent[]> {
    const events: ReceivedEvent[] = [];
    for (;;) {
      const out = await this.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) return events;
      for (const message of messages) {
        const raw = message.Body ?? '';
        const event = { ...(JSON.parse(raw) as Omit<ReceivedEvent, 'raw'>), raw };
        events.push(event);
        this.received.push(event);
        await this.sqs.send(
          new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      }
    }
  }

  /** Drains the queue, then gives every event received so far, raw, as the leak checks scan them. */
  async everyEvent(): Promise<string[]> {
    await this.drain();
    return this.received.map((event) => event.raw);
  }
}
