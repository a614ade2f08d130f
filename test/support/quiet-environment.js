/**
 * A jest environment that keeps what the code under test prints (Powertools' logger writes to
 * process.stdout through a console of its own, which jest does not capture) and shows it only
 * for a test that failed, or a hook that failed. A green run prints jest's summary alone.
 *
 * The tests' own captures (OutputCapture, which scans for leaked passwords) still see every
 * line: they wrap these writers. DBAUTH_TEST_OUTPUT=show prints everything as it comes.
 */
const { TestEnvironment } = require('jest-environment-node');

class QuietEnvironment extends TestEnvironment {
  #buffer = [];
  #restore = undefined;

  async setup() {
    await super.setup();
    if (process.env.DBAUTH_TEST_OUTPUT === 'show') return;
    const streams = [process.stdout, process.stderr];
    const originals = streams.map((stream) => stream.write);
    for (const stream of streams) {
      stream.write = (chunk, encoding, callback) => {
        this.#buffer.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        const done = typeof encoding === 'function' ? encoding : callback;
        if (typeof done === 'function') process.nextTick(done);
        return true;
      };
    }
    this.#restore = () => streams.forEach((stream, i) => (stream.write = originals[i]));
    this.#showOn = (title) => {
      if (this.#buffer.length === 0) return;
      originals[1].call(
        process.stderr,
        `\n--- output of ${title} ---\n${this.#buffer.join('')}--- end ---\n`,
      );
    };
  }

  #showOn = () => undefined;

  async teardown() {
    this.#restore?.();
    await super.teardown();
  }

  handleTestEvent(event) {
    if (event.name === 'test_start') this.#buffer = [];
    if (event.name === 'hook_failure') this.#showOn(`a failed ${event.hook.type} hook`);
    if (event.name === 'test_done') {
      if (event.test.errors.length > 0) this.#showOn(`failed test "${event.test.name}"`);
      this.#buffer = [];
    }
  }
}

module.exports = QuietEnvironment;
