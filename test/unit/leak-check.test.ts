import { OutputCapture } from '../integration/support/capture';

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
});
