/**
 * Progress of a long phase: a cli-progress bar (done/total, rate, time left) when
 * stderr is a terminal; otherwise (CI logs, output redirected to a file) plain
 * lines on stderr: one at least every `intervalMs` (default 10 s) while the phase
 * runs, with done/total, rate and ETA, and one when it ends. A phase that makes
 * no progress for a while still prints (a timer, not only the ticks), so a slow
 * oracle call never looks like a hang.
 *
 *     const bar = startProgress('oracle', cases.length, 'cases');
 *     … bar.tick(k) …
 *     bar.done();   // "oracle: 606 cases in 12.3 s (49.3 cases/s)"
 *
 * Lines while running: "fuzz: oracle: 120/606 cases (19.8%), 4.01 cases/s, 30.0 s elapsed, ETA 2 min 1 s".
 * The ETA is the remaining items at the mean rate so far (items are assumed alike).
 */
import cliProgress from 'cli-progress';
import { pulse } from '../supervise/heartbeat.js';

export interface Progress {
  /** `k` more items done. */
  tick(k?: number): void;
  /** Ends the phase; `note` is appended to its line. Returns the phase's seconds. */
  done(note?: string): number;
}

export interface ProgressOptions {
  readonly stream?: NodeJS.WriteStream;
  /** Force the bar (true) or the plain lines (false); default: the stream is a TTY. */
  readonly bar?: boolean;
  /** Prefix of every line, e.g. "fuzz". */
  readonly prefix?: string;
  /** Plain lines: the longest time between two progress lines, ms (default 10,000). */
  readonly intervalMs?: number;
  /** Clock in ms (default performance.now); for tests. */
  readonly now?: () => number;
}

export const PROGRESS_INTERVAL_MS = 10_000;

function rate(done: number, seconds: number): string {
  if (seconds <= 0) return '-';
  const r = done / seconds;
  return r >= 100 ? r.toFixed(0) : r.toPrecision(3);
}

/** "45 s", "3 min 5 s", "1 h 2 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function startProgress(phase: string, total: number, unit = 'items', options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const interval = options.intervalMs ?? PROGRESS_INTERVAL_MS;
  const label = options.prefix !== undefined ? `${options.prefix}: ${phase}` : phase;
  const useBar = options.bar ?? stream.isTTY === true;
  const started = now();
  let done = 0;
  let finished = false;
  let lastLine = started;
  let bar: cliProgress.SingleBar | undefined;
  let timer: NodeJS.Timeout | undefined;

  const line = () => {
    const t = now();
    lastLine = t;
    const seconds = (t - started) / 1000;
    const eta = done > 0 ? formatDuration(((total - done) * seconds) / done) : 'unknown';
    const pct = total > 0 ? ` (${((100 * done) / total).toFixed(1)}%)` : '';
    stream.write(`${label}: ${done}/${total} ${unit}${pct}, ${rate(done, seconds)} ${unit}/s, ${seconds.toFixed(1)} s elapsed, ETA ${eta}\n`);
  };

  if (useBar && total > 0) {
    bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {value}/{total} ${unit} | {rate} ${unit}/s | {duration_formatted} elapsed | ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '-' });
  } else if (!useBar && total > 0) {
    // Fires while the event loop is free (the oracle and shrink phases wait on workers); tick() covers busy loops.
    timer = setInterval(() => {
      if (now() - lastLine >= interval * 0.95) line();
    }, Math.max(1, Math.floor(interval / 4)));
    timer.unref();
  }
  return {
    tick(k = 1) {
      done += k;
      pulse();
      if (bar !== undefined) bar.update(done, { rate: rate(done, (now() - started) / 1000) });
      else if (timer !== undefined && done < total && now() - lastLine >= interval) line();
    },
    done(note) {
      const seconds = (now() - started) / 1000;
      if (finished) return seconds;
      finished = true;
      bar?.stop();
      if (timer !== undefined) clearInterval(timer);
      const count = total > 0 ? `${done} ${unit}` : `0 ${unit}`;
      stream.write(`${label}: ${count} in ${seconds.toFixed(1)} s (${rate(done, seconds)} ${unit}/s)${note ? `; ${note}` : ''}\n`);
      return seconds;
    },
  };
}
