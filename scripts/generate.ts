// `npm run generate`: writes crds/*.yaml, docs/api.md and the README's spec
// defaults table from src/api/.
// `--check` exits 1 when the checked-in files differ (used by tests and CI).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from './generated-files.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
let stale = 0;
for (const [rel, content] of generatedFiles()) {
  const path = `${root}${rel}`;
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (current === content) continue;
  if (check) {
    stale++;
    console.error(`${rel} is out of date: run \`npm run generate\` and commit the result`);
  } else {
    writeFileSync(path, content);
    console.log(`wrote ${rel}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
