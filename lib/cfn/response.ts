import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ResponseDeliveryError } from './errors';
import type { CustomResourceResponse } from './event';

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
