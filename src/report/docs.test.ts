/**
 * The documentation in step with the code: docs/reference.md's column lists are what
 * the code writes, the README's suite snippet is the shipped example file verbatim,
 * and README and --help send users to the reference in the repository.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CASE_COLUMNS } from '../cases/read.js';
import { GRAD_COLUMNS } from '../score/grad.js';
import { SCORE_COLUMNS } from '../score/score.js';
import { ROOT, runCli } from '../testing/cli.js';
import { BENCH_COLUMNS, BOUNDARIES_COLUMNS, FAILURES_COLUMNS, FUZZ_COLUMNS, GATE_COLUMNS, REGIONS_COLUMNS } from './columns.js';

const reference = readFileSync(join(ROOT, 'docs/reference.md'), 'utf8');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** `| \`file\` | \`a,b,c\` |` rows of the reference's tables. */
function documentedColumns(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of reference.matchAll(/^\| `([\w.-]+\.csv)`[^|]* \| `([a-z0-9_,]+)` \|$/gm)) out.set(m[1], m[2].split(','));
  return out;
}

describe('docs/reference.md', () => {
  it('documents the columns of every file the code writes, in the code order', () => {
    const doc = documentedColumns();
    expect(doc.get('fuzz.csv')).toEqual([...FUZZ_COLUMNS]);
    expect(doc.get('failures.csv')).toEqual([...FAILURES_COLUMNS]);
    expect(doc.get('regions.csv')).toEqual([...REGIONS_COLUMNS]);
    expect(doc.get('boundaries.csv')).toEqual([...BOUNDARIES_COLUMNS]);
    expect(doc.get('bench.csv')).toEqual([...BENCH_COLUMNS]);
    expect(doc.get('gate.csv')).toEqual([...GATE_COLUMNS]);
    expect(doc.get('scored.csv')).toEqual([...SCORE_COLUMNS]);
    expect(doc.get('grad.csv')).toEqual([...GRAD_COLUMNS]);
    expect(reference).toContain(`CSV with a header: \`${CASE_COLUMNS.join(',')}\`.`);
  });

  it('documents every command of --help', () => {
    const help = runCli(['--help']);
    const commands = [...help.stdout.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThanOrEqual(8);
    for (const c of commands) expect(reference, c).toContain(`\`softmax-stability ${c} `);
  });
});

describe('README', () => {
  it('links the reference, and neither it nor --help sends users to a SPEC.md they do not have', () => {
    expect(readme).toContain('(docs/reference.md)');
    expect(readme).not.toMatch(/SPEC\.md/);
    for (const args of [['--help'], ['fuzz', '--help'], ['map', '--help'], ['score', '--help']]) {
      const r = runCli(args);
      expect(r.stdout, args.join(' ')).not.toContain('SPEC');
    }
    expect(runCli(['--help']).stdout).toContain('docs/reference.md');
  });

  it("the \"Your own pipeline\" snippet is suites/example-user.suite.ts verbatim", () => {
    const section = readme.slice(readme.indexOf('### Your own pipeline'));
    const block = /```ts\n([\s\S]*?)```/.exec(section);
    expect(block).not.toBeNull();
    expect(block![1]).toBe(readFileSync(join(ROOT, 'suites/example-user.suite.ts'), 'utf8'));
  });
});
