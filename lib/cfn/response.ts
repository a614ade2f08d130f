import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from '@aws-lambda-powertools/logger';
import { beforeDeadline } from '../deadline';
import { DeadlinePassedError, describeError } from '../errors';
import { errorDetails } from '../log';
import { engineDimension, type InvocationMetrics } from '../metrics';
import { CreateLeftUserError, ResponseDeliveryError } from './errors';
import type { CustomResourceEvent, CustomResourceResponse, Outcome } from './event';
import { failedCreateId } from './identity';

/*
 * The reply to CloudFormation: what it says (SUCCESS or FAILED, the id, the reason), decided
 * once the work ends or the deadline nears, and its delivery by PUT to the pre-signed ResponseURL.
 */

export interface ResponseOptions {
  logger: Logger;
  /** How long before the Lambda deadline to give up on the work and respond FAILED. */
  marginMs: number;
  delivery?: DeliveryOptions;
  /** Counts and times the request by its response. */
  metrics: InvocationMetrics;
}

/** What the work tells the response while it runs. */
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
 * The request is counted once its response is decided, even if it cannot be delivered.
 */
export async function respondToCloudFormation(
  event: CustomResourceEvent,
  remainingMs: number,
  /** Stops at its next step, undoing what it made, once `signal` says the deadline passed. */
  work: (signal: AbortSignal, progress: Progress) => Promise<Outcome>,
  options: ResponseOptions,
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
          // JSON.stringify leaves out a Data that is undefined.
          Data: raced.value.data,
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

export interface DeliveryOptions {
  timeoutMs?: number;
  attempts?: number;
  backoffMs?: number;
}

function putOnce(url: URL, body: string, timeoutMs: number): Promise<number> {
  const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'PUT',
        // The pre-signed URL is signed for an empty content type.
        headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => reject(error));
    req.end(body);
  });
}

/** PUTs the response to the pre-signed URL; retries a bounded number of times. */
export async function sendResponse(
  responseUrl: string,
  response: CustomResourceResponse,
  options: DeliveryOptions = {},
): Promise<void> {
  const body = JSON.stringify(response);
  const attempts = options.attempts ?? 3;
  let lastReason = 'not tried';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const status = await putOnce(new URL(responseUrl), body, options.timeoutMs ?? 2500);
      if (status >= 200 && status < 300) return;
      lastReason = `HTTP ${status}`;
      if (status >= 400 && status < 500) break; // an expired or wrong URL will not get better
    } catch (error) {
      lastReason = error instanceof Error ? error.message : 'unknown error';
    }
    if (attempt < attempts) await new Promise((r) => setTimeout(r, (options.backoffMs ?? 200) * attempt));
  }
  throw new ResponseDeliveryError(lastReason);
}
