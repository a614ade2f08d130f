import { DbauthError } from '../errors';

/** An event from EventBridge could not be handled. */
export class EventError extends DbauthError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EventError';
  }
}

/** The event is not one dbauth handles: a retry of the same event will not help. */
export class MalformedEventError extends EventError {
  constructor(problem: string) {
    super(`not an event dbauth handles: ${problem}`);
    this.name = 'MalformedEventError';
  }

  override get invalidInput(): boolean {
    return true;
  }
}
