import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const root = join(__dirname, '..', '..');
export const outDir = join(root, '.serverless');
export const templatePath = join(outDir, 'cloudformation-template-update-stack.json');
const lockDir = join(root, '.serverless.lock');

/** The newest modification time among what goes into the package. */
function newestSourceMs(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestSourceMs(join(path, entry))));
}

function needsPackaging(): boolean {
  if (!existsSync(templatePath)) return true;
  const sources = ['serverless.yml', 'package-lock.json', 'handlers', 'lib'].map((path) => join(root, path));
  return Math.max(...sources.map(newestSourceMs)) > statSync(templatePath).mtimeMs;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * The CloudFormation template `npm run package` writes, packaging first when there is none or
 * serverless.yml, the lock file or the code changed since. Test files in parallel workers take turns (a lock directory),
 * so one packages and the others read its result.
 */
export function packagedTemplate<T = unknown>(): T {
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      if (waited > 240_000) throw new Error(`${lockDir} is held too long; remove it if no test runs`);
      sleep(200);
    }
  }
  try {
    if (needsPackaging()) {
      const run = spawnSync('npm', ['run', 'package'], { cwd: root, encoding: 'utf8', timeout: 240_000 });
      if (run.status !== 0) {
        throw new Error(
          `npm run package failed (${run.status ?? run.signal}):\n${run.stdout}\n${run.stderr}`,
        );
      }
    }
    return JSON.parse(readFileSync(templatePath, 'utf8')) as T;
  } finally {
    rmdirSync(lockDir);
  }
}
