/** Runs the built CLI (dist/, made by `npm run build`, which `npm test` runs first) as a user would. */
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist/src/cli.js');

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix = 'softmax-stability-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface RunningCli {
  readonly child: ChildProcess;
  /** Resolves when the process has exited: its status (or the signal that ended it), output, and the time it exited (performance.now()). */
  readonly exited: Promise<CliResult & { readonly signal: NodeJS.Signals | null; readonly at: number }>;
}

/** Starts the built CLI without waiting for it (to signal it, or to time its end). */
export function spawnCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<CliResult & { signal: NodeJS.Signals | null; at: number }>((resolvePromise) => {
    child.on('exit', (status, signal) => {
      const at = performance.now();
      // 'close' follows once the pipes are drained.
      child.on('close', () => resolvePromise({ status, signal, stdout, stderr, at }));
    });
  });
  return { child, exited };
}

/** Waits until `file` exists (polling every 20 ms), or throws after `timeoutMs`. */
export async function waitForFile(file: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > until) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
