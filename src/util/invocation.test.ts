import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../suite/load.js';
import { tempDir } from '../testing/cli.js';
import { harnessCommand } from './invocation.js';

describe('the command the reports print runs from the folder it is printed for', () => {
  it('npx where npx finds the bin locally (an install in the folder or above it, or the harness checkout)', () => {
    expect(harnessCommand(fileURLToPath(new URL('../../', import.meta.url)))).toBe('npx softmax-stability'); // this checkout
    const project = tempDir();
    mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
    writeFileSync(join(project, 'node_modules', '.bin', 'softmax-stability'), '');
    mkdirSync(join(project, 'numerics'));
    expect(harnessCommand(join(project, 'numerics'))).toBe('npx softmax-stability');
  });
  it('node and the path of this cli.js elsewhere (npx would fetch an unrelated package there)', () => {
    expect(harnessCommand(tempDir())).toBe(`node ${join(PACKAGE_ROOT, 'dist', 'src', 'cli.js')}`);
  });
});
