import { OutputCapture, rememberSecretString } from '../integration/support/capture';

/** The checker the integration tests scan their output with: it must be able to fail. */
describe('the leak check', () => {
  const captured = (write: () => void) => {
    const capture = new OutputCapture();
    capture.start();
    try {
      write();
    } finally {
      capture.stop();
    }
    return capture;
  };

  it('finds a planted password in what was printed', () => {
    const capture = captured(() =>
      process.stdout.write('{"message":"login failed","password":"planted-pw-1"}\n'),
    );
    expect(capture.leaks(['planted-pw-1'])).toEqual(['{"message":"login failed","password":"planted-pw-1"}']);
    expect(capture.leaks(['another-pw'])).toEqual([]);
  });

  it('fails when nothing was captured, instead of passing on nothing', () => {
    expect(() => captured(() => undefined).leaks(['planted-pw-2'])).toThrow('nothing was captured');
  });

  it('fails when there is nothing to look for', () => {
    expect(() => captured(() => process.stdout.write('a line\n')).leaks([''])).toThrow('no password');
  });

  it('finds a password as a JSON log line spells it, quotes and backslashes escaped', () => {
    const password = 'pl"anted\\pw-3';
    const capture = captured(() => process.stdout.write(`${JSON.stringify({ message: 'x', password })}\n`));
    expect(capture.leaks([password])).toHaveLength(1);
  });

  it('finds a secret string the tests stored, and a password field inside one, with no list given', () => {
    rememberSecretString(JSON.stringify({ username: 'app', apiKey: 'planted-key-4' }));
    rememberSecretString(JSON.stringify({ username: 'no-password-field-5' }));
    const printed = captured(() => {
      process.stdout.write('{"message":"read","value":{"apiKey":"planted-key-4"}}\n');
      process.stdout.write('{"message":"read","value":"{\\"username\\":\\"no-password-field-5\\"}"}\n');
      process.stdout.write('{"message":"clean"}\n');
    });
    expect(printed.leaks([])).toHaveLength(2);
  });

  it('passes an empty capture only when told it may print nothing, then finds nothing', () => {
    expect(captured(() => undefined).leaks(['planted-pw-6'], { allowEmpty: true })).toEqual([]);
  });
});
