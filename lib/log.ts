import { Logger } from '@aws-lambda-powertools/logger';
import { DbauthError } from './errors';

export const makeLogger = (serviceName = 'dbauth') => new Logger({ serviceName });

/**
 * What may be logged of an error. Never the error itself: the logger copies every property
 * and the `cause` chain, and a driver error's properties can hold SQL with a password.
 */
export function errorDetails(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { errorName: typeof error };
  const frames = (error.stack ?? '')
    .split('\n')
    .slice(1, 8)
    .map((line) => line.trim());
  const code: unknown = (error as { code?: unknown }).code;
  return {
    errorName: error.name,
    // Only our own messages are written to be shown; a foreign message may quote SQL.
    errorMessage: error instanceof DbauthError ? error.message : undefined,
    errorCode: typeof code === 'string' ? code : undefined,
    stack: frames,
  };
}
