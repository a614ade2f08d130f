// Rotates a secret now, playing Secrets Manager's part: `npm run rotate -- --secret-id <id>`;
// `--token <version id>` resumes a rotation that stopped (the token is printed when it starts).
// It talks to whatever endpoint the AWS SDK is pointed at (AWS_ENDPOINT_URL for local services).
import { parseArgs } from 'node:util';
import { defaultDeps, makeHandler } from '../handlers/rotate';
import { describeError } from '../lib/errors';
import { runLocalRotation } from '../lib/rotation/local-rotation';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'secret-id': { type: 'string' }, token: { type: 'string' } },
  });
  const secretId = values['secret-id'];
  if (!secretId)
    throw new Error('usage: npm run rotate -- --secret-id <secret name or ARN> [--token <uuid>]');
  const deps = defaultDeps();
  let started: string | undefined;
  try {
    const { token } = await runLocalRotation(makeHandler(deps), deps.store, secretId, {
      token: values.token || undefined,
      onStart: (token) => {
        started = token;
        console.log(`rotating ${secretId} with version ${token}`);
      },
      onStep: (result, ms) =>
        console.log(`${result.step.padEnd(13)} ${result.outcome.padEnd(8)} ${String(ms).padStart(5)} ms`),
    });
    console.log(`rotated ${secretId} (version ${token})`);
  } catch (error) {
    // Every step is idempotent: the same token takes the rotation up where it stopped.
    if (started) console.error(`resume with: npm run rotate -- --secret-id ${secretId} --token ${started}`);
    throw error;
  }
}

main().catch((error: unknown) => {
  console.error(`rotation failed: ${describeError(error)}`);
  process.exit(1);
});
