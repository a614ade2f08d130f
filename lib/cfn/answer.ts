import type { Logger } from '@aws-lambda-powertools/logger';
import { DeadlinePassedError, describeError } from '../errors';
import { errorDetails } from '../log';
import { beforeDeadline } from '../deadline';
import { engineDimension, type InvocationMetrics } from '../metrics';
import { CreateLeftUserError } from './errors';
import type { CustomResourceEvent, CustomResourceResponse, Outcome } from './event';
import { failedCreateId } from './identity';
import { sendResponse, type DeliveryOptions } from './response';

export interface AnswerOptions {
  logger: Logger;
  /** How long before the Lambda deadline to give up on the work and answer FAILED. */
  marginMs: number;
  delivery?: DeliveryOptions;
  /** Counts and times the request by its answer. */
  metrics: InvocationMetrics;
}

/** What the work tells the answer while it runs. */
export interface Progress {
  /** The user's id, once a Create has made what a Delete must remove. */
  made: (physicalResourceId: string) => void;
  /** The database's engine, once the master's endpoint says it: the request's metrics name it. */
  engine: (name: string) => void;
}

// CloudFormation shows at most 4 KB of a response; keep the Reason well inside it.
const MAX_REASON = 1000;

/**
 * Runs the work and always answers CloudFormation: SUCCESS with its outcome, FAILED with a
 * reason when it throws, and FAILED shortly before the Lambda deadline when it hangs.
 * The request is counted once its answer is decided, even if the answer cannot be delivered.
 */
export async function answerCloudFormation(
  event: CustomResourceEvent,
  remainingMs: number,
  /** Stops at its next step, undoing what it made, once `signal` says the deadline passed. */
  work: (signal: AbortSignal, progress: Progress) => Promise<Outcome>,
  options: AnswerOptions,
): Promise<CustomResourceResponse> {
  const { logger } = options;
  const started = performance.now();
  let madeId: string | undefined;
  let engine: string | undefined;
  // A failed Create made nothing; a failed Update or Delete keeps the resource it had.
  const unchangedId =
    event.RequestType === 'Create'
      ? failedCreateId(event.RequestId)
      : (event.PhysicalResourceId ?? failedCreateId(event.RequestId));
  const base = {
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: false,
  };
  let response: CustomResourceResponse;
  try {
    const raced = await beforeDeadline(
      (signal) =>
        work(signal, {
          made: (id) => (madeId = id),
          engine: (name) => (engine = name),
        }),
      remainingMs - options.marginMs,
      () => new DeadlinePassedError('CloudFormation was told FAILED, and this work'),
    );
    response = raced.done
      ? {
          ...base,
          Status: 'SUCCESS',
          Reason: 'OK',
          PhysicalResourceId: raced.value.physicalResourceId,
          ...(raced.value.data ? { Data: raced.value.data } : {}),
        }
      : {
          ...base,
          Status: 'FAILED',
          Reason: `timed out: the database or an AWS API did not answer before the function deadline${madeId && event.RequestType === 'Create' ? '; the user it was making is named by this id, so the rollback Delete removes it' : ''}`,
          // A Create that had made its user names it: nothing else would ever remove it.
          PhysicalResourceId: madeId && event.RequestType === 'Create' ? madeId : unchangedId,
        };
  } catch (error) {
    logger.error('request failed', errorDetails(error));
    response = {
      ...base,
      Status: 'FAILED',
      Reason: describeError(error).slice(0, MAX_REASON),
      // A Create that left its user and secret names them, so the rollback Delete removes them.
      PhysicalResourceId:
        error instanceof CreateLeftUserError && event.RequestType === 'Create'
          ? error.physicalResourceId
          : unchangedId,
    };
  }
  logger.info('answering CloudFormation', {
    status: response.Status,
    reason: response.Reason,
    physicalResourceId: response.PhysicalResourceId,
  });
  options.metrics.customResourceRequest(
    {
      outcome: response.Status === 'SUCCESS' ? 'success' : 'failed',
      requestType: event.RequestType,
      engine: engineDimension(engine),
    },
    performance.now() - started,
  );
  await sendResponse(event.ResponseURL, response, options.delivery);
  return response;
}
