/**
 * Progress of a long phase: a cli-progress bar (done/total, rate, time left) when
 * stderr is a terminal, otherwise one plain line on stderr when the phase ends
 * (CI logs get one line per phase, not a stream of carriage returns).
 *
 *     const bar = startProgress('oracle', cases.length, 'cases');
 *     … bar.tick(k) …
 *     bar.done();   // "oracle: 606 cases in 12.3 s (49.3 cases/s)"
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
  /** Force the bar (true) or the plain line (false); default: the stream is a TTY. */
  readonly bar?: boolean;
  /** Prefix of every line, e.g. "fuzz". */
  readonly prefix?: string;
}

function rate(done: number, seconds: number): string {
  if (seconds <= 0) return '-';
  const r = done / seconds;
  return r >= 100 ? r.toFixed(0) : r.toPrecision(3);
}

export function startProgress(phase: string, total: number, unit = 'items', options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const label = options.prefix !== undefined ? `${options.prefix}: ${phase}` : phase;
  const useBar = options.bar ?? stream.isTTY === true;
  const started = performance.now();
  let done = 0;
  let finished = false;
  let bar: cliProgress.SingleBar | undefined;
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
  }
  return {
    tick(k = 1) {
      done += k;
      pulse();
      bar?.update(done, { rate: rate(done, (performance.now() - started) / 1000) });
    },
    done(note) {
      const seconds = (performance.now() - started) / 1000;
      if (finished) return seconds;
      finished = true;
      bar?.stop();
      const count = total > 0 ? `${done} ${unit}` : `0 ${unit}`;
      stream.write(`${label}: ${count} in ${seconds.toFixed(1)} s (${rate(done, seconds)} ${unit}/s)${note ? `; ${note}` : ''}\n`);
      return seconds;
    },
  };
}
