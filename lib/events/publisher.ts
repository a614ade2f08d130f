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
  driftDetected: 'Drift Detected',
  auditCompleted: 'Audit Completed',
} as const;
export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/** A value an event's detail may hold (JSON). */
export type DetailValue = string | number | boolean | null | DetailValue[] | { [key: string]: DetailValue };

/**
 * What an event says. Never a password: only names, places and reasons. Every event about a
 * secret names it (`secretArn`, also its `Resources`); a run's summary names none.
 */
export interface EventDetail {
  secretArn?: string;
  engine?: string;
  host?: string;
  database?: string;
  user?: string;
  strategy?: string;
  [key: string]: DetailValue | undefined;
}

/**
 * The port for our own events. Publishing never throws: an event is news, not a step. It says
 * whether the event was accepted, for callers that must try again later (the drift audit).
 */
export interface EventPublisher {
  publish(detailType: DetailType, detail: EventDetail): Promise<boolean>;
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

  async publish(detailType: DetailType, detail: EventDetail): Promise<boolean> {
    try {
      const { PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
      const out = await this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: EVENT_SOURCE,
              DetailType: detailType,
              Detail: JSON.stringify(detail),
              Resources: detail.secretArn ? [detail.secretArn] : [],
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
        return false;
      }
      return true;
    } catch (error) {
      this.options.onFailure('event not published', {
        detailType,
        secretArn: detail.secretArn,
        ...errorDetails(error),
      });
      return false;
    }
  }
}
