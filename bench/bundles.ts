import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { outDir, packagedTemplate } from '../test/support/packaged-template';
import { max, median, round } from './stats';

export interface BundleFigures {
  function: string;
  zipBytes: number;
  /** Time to load the bundle and construct the handler, in a fresh Node process. */
  initMs: { median: number; max: number };
  /** Since the process started (Node's own start-up included). */
  sinceStartMs: { median: number; max: number };
}

const RUNS = 20;
const HANDLERS: Record<string, string> = {
  customResource: 'handlers/custom-resource.mjs',
  rotate: 'handlers/rotate.mjs',
  secretEvents: 'handlers/secret-events.mjs',
};

// Measures inside the child: performance.now() counts from the process's start.
const PROBE = `
const before = performance.now();
const mod = await import(process.argv[1]);
if (typeof mod.handler !== 'function') throw new Error('no handler');
const after = performance.now();
process.stdout.write(JSON.stringify({ init: after - before, sinceStart: after }));
`;

export function measureBundles(): BundleFigures[] {
  packagedTemplate();
  const figures: BundleFigures[] = [];
  for (const [name, entry] of Object.entries(HANDLERS)) {
    const zip = join(outDir, `${name}.zip`);
    const dir = join('/tmp/dbauth-bench', name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const unzip = spawnSync('python3', ['-m', 'zipfile', '-e', zip, dir], { encoding: 'utf8' });
    if (unzip.status !== 0) throw new Error(`could not unzip ${zip}: ${unzip.stderr}`);
    const init: number[] = [];
    const sinceStart: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE, join(dir, entry)], {
        encoding: 'utf8',
        // What a Lambda has at init: a region, no endpoint override, no credentials needed yet.
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', NODE_OPTIONS: '' },
      });
      if (child.status !== 0) throw new Error(`${name} failed to load: ${child.stderr}`);
      const out = JSON.parse(child.stdout) as { init: number; sinceStart: number };
      init.push(out.init);
      sinceStart.push(out.sinceStart);
    }
    figures.push({
      function: name,
      zipBytes: statSync(zip).size,
      initMs: { median: round(median(init)), max: round(max(init)) },
      sinceStartMs: { median: round(median(sinceStart)), max: round(max(sinceStart)) },
    });
  }
  return figures;
}

export const bundleFiles = () => readdirSync(outDir).filter((file) => file.endsWith('.zip'));
