import type { Endpoint, Engine, EngineSession, Login, Timeouts } from '../engines/engine';
import { AuthenticationFailedError } from '../engines/errors';

/**
 * A session as `login`, or undefined when the server refuses the password. Any other failure
 * (unreachable, TLS) is thrown: only a refused password means "try another one".
 */
export async function tryLogin(
  engine: Engine,
  endpoint: Endpoint,
  login: Login,
  timeouts: Timeouts,
): Promise<EngineSession | undefined> {
  try {
    return await engine.connect(endpoint, login, timeouts);
  } catch (error) {
    if (error instanceof AuthenticationFailedError) return undefined;
    throw error;
  }
}
