import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Engine } from '../lib/engines/engine';

/** Secrets Manager calls by operation, counted by a middleware on the client the handler uses. */
export class CallCounter {
  counts: Record<string, number> = {};

  attach(client: SecretsManagerClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
        this.counts[name] = (this.counts[name] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize', name: 'benchCallCounter' },
    );
  }

  get total(): number {
    return Object.values(this.counts).reduce((sum, n) => sum + n, 0);
  }

  reset(): void {
    this.counts = {};
  }
}

/** Connection attempts of an engine (successful and failed), counted around its connect(). */
export class ConnectionCounter {
  attempts = 0;
  failed = 0;

  attach(engine: Engine): void {
    const connect = engine.connect.bind(engine);
    (engine as { connect: Engine['connect'] }).connect = async (...args) => {
      this.attempts += 1;
      try {
        return await connect(...args);
      } catch (error) {
        this.failed += 1;
        throw error;
      }
    };
  }

  reset(): void {
    this.attempts = 0;
    this.failed = 0;
  }
}
