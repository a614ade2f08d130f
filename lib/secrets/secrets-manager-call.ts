import { InvalidRequestException, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { SecretNotFoundError, SecretsManagerCallError } from './errors';

/**
 * Makes one Secrets Manager call, so that its errors become ours and never carry a value:
 * a missing secret (or one scheduled for deletion) is `SecretNotFoundError`, or what
 * `notFound` makes; anything else is `SecretsManagerCallError` with the SDK error's name.
 */
export async function callSecretsManager<T>(
  operation: string,
  secretId: string,
  send: () => Promise<T>,
  notFound: () => Error = () => new SecretNotFoundError(secretId),
): Promise<T> {
  try {
    return await withGarbleRetries(send);
  } catch (error) {
    if (error instanceof ResourceNotFoundException) throw notFound();
    // A secret scheduled for deletion answers InvalidRequestException on most calls.
    if (error instanceof InvalidRequestException && /deleted|deletion/i.test(error.message ?? '')) {
      throw new SecretNotFoundError(secretId);
    }
    const name = error instanceof Error ? error.name : 'unknown error';
    throw new SecretsManagerCallError(operation, secretId, name);
  }
}

// The SDK retries throttling, 5xx and timeouts itself, but not an answer it cannot parse (a cut
// connection mid-body; moto under load does it too). Every call here is safe to repeat: reads,
// and writes made idempotent by their tokens or their nature. Two more tries, then the error.
const GARBLED_RETRIES = 2;

async function withGarbleRetries<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof Error && error.name === 'SyntaxError') || attempt >= GARBLED_RETRIES)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
    }
  }
}
