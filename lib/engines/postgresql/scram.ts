import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { Password } from '../../secrets/password';

const ITERATIONS = 4096;

/**
 * PostgreSQL's SCRAM-SHA-256 verifier for a password. Sending the verifier instead of the
 * password keeps the password out of the server's own logs (a failed ALTER ROLE is logged
 * with its text). Passwords that SASLprep would change are not hashed here: undefined.
 */
export function scramVerifier(password: Password, salt: Buffer = randomBytes(16)): string | undefined {
  const plain = password.reveal();
  if (!/^[\x21-\x7e]+$/.test(plain)) return undefined;
  const salted = pbkdf2Sync(plain, salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
