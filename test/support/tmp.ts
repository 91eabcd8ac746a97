import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const dirs: string[] = [];
let hooked = false;

/** Creates a fresh temporary directory, removed when the process exits. */
export function tmpDir(prefix = 'xai-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(dir);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}
