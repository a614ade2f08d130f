import type { EventBridgeSender } from '../aws/clients';
import { errorDetails } from '../log';

export const EVENT_SOURCE = 'dbauth';

/** The events dbauth publishes, by detail-type. */
export const DETAIL_TYPES = {
  userCreated: 'Database User Created',
  userUpdated: 'Database User Updated',
  userDropped: 'Database User Dropped',
  secretRotated: 'Secret Rotated',
  rotationFailed: 'Rotation Failed',
} as const;
export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/** What an event says. Never a password: only names, places and reasons. */
export interface EventDetail {
  secretArn: string;
  engine?: string;
  host?: string;
  database?: string;
  user?: string;
  strategy?: string;
  [key: string]: string | number | boolean | undefined;
}

/** The port for our own events. Publishing never throws: an event is news, not a step. */
export interface EventPublisher {
  publish(detailType: DetailType, detail: EventDetail): Promise<void>;
}

export interface EventBridgePublisherOptions {
  busName?: string;
  /** Told when an event could not be published, so it is logged and not lost silently. */
  onFailure: (message: string, details: Record<string, unknown>) => void;
}

/** Publishes to an EventBridge bus (the default bus unless one is named). */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeSender,
    private readonly options: EventBridgePublisherOptions,
  ) {}

  async publish(detailType: DetailType, detail: EventDetail): Promise<void> {
    try {
      const { PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
      const out = await this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: EVENT_SOURCE,
              DetailType: detailType,
              Detail: JSON.stringify(detail),
              Resources: [detail.secretArn],
              EventBusName: this.options.busName || undefined,
            },
          ],
        }),
      );
      if (out.FailedEntryCount) {
        const entry = out.Entries?.[0];
        this.options.onFailure('event not published', {
          detailType,
          secretArn: detail.secretArn,
          errorCode: entry?.ErrorCode,
        });
      }
    } catch (error) {
      this.options.onFailure('event not published', {
        detailType,
        secretArn: detail.secretArn,
        ...errorDetails(error),
      });
    }
  }
}
