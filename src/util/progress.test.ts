/** Progress lines in non-terminal output: at least one per interval, with done/total, rate and ETA. */
import { describe, expect, it } from 'vitest';
import { formatDuration, startProgress } from './progress.js';

function capture(isTTY = false): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  const stream = { isTTY, write: (s: string) => (lines.push(...s.split('\n').filter((l) => l !== '')), true) } as unknown as NodeJS.WriteStream;
  return { stream, lines };
}

describe('startProgress, output not a terminal', () => {
  it('prints done/total, rate and ETA once the interval has passed, from the ticks of a busy loop', () => {
    const { stream, lines } = capture();
    let t = 0;
    const p = startProgress('oracle', 100, 'cases', { stream, prefix: 'fuzz', intervalMs: 10_000, now: () => t });
    t = 4_000;
    p.tick(10);
    expect(lines).toEqual([]); // not yet 10 s
    t = 10_000;
    p.tick(10); // 20 of 100 in 10 s: 2 cases/s, 80 left: 40 s
    expect(lines).toEqual(['fuzz: oracle: 20/100 cases (20.0%), 2.00 cases/s, 10.0 s elapsed, ETA 40 s']);
    t = 15_000;
    p.tick(30);
    expect(lines).toHaveLength(1); // 5 s since the last line
    t = 20_500;
    p.tick(10); // 60 in 20.5 s, 40 left
    expect(lines[1]).toBe(`fuzz: oracle: 60/100 cases (60.0%), 2.93 cases/s, 20.5 s elapsed, ETA ${formatDuration((40 * 20.5) / 60)}`);
    t = 30_000;
    p.tick(40);
    expect(p.done('note')).toBe(30);
    expect(lines[lines.length - 1]).toBe('fuzz: oracle: 100 cases in 30.0 s (3.33 cases/s); note');
  });

  it('prints on a timer when no tick comes (a phase waiting on workers), and stops at done', async () => {
    const { stream, lines } = capture();
    const p = startProgress('shrink', 5, 'jobs', { stream, intervalMs: 40 });
    await new Promise((r) => setTimeout(r, 300));
    const during = lines.length;
    expect(during).toBeGreaterThanOrEqual(3);
    expect(lines[0]).toMatch(/^shrink: 0\/5 jobs \(0\.0%\), 0\.00 jobs\/s, [\d.]+ s elapsed, ETA unknown$/);
    p.done();
    await new Promise((r) => setTimeout(r, 150));
    expect(lines.length).toBe(during + 1);
  });

  it('on a terminal draws the bar instead: no plain lines until the phase ends', () => {
    const { stream, lines } = capture(true);
    let t = 0;
    const p = startProgress('score', 10, 'scores', { stream, bar: false, intervalMs: 1, now: () => t });
    t = 5;
    p.tick(5);
    expect(lines.length).toBe(1); // bar: false forces plain lines
    const q = capture(true);
    const b = startProgress('score', 10, 'scores', { stream: q.stream, intervalMs: 1, now: () => t });
    t = 50;
    b.tick(5);
    expect(q.lines.some((l) => l.includes('ETA') && !l.includes('['))).toBe(false);
    b.done();
    p.done();
  });

  it('formats durations in s, min and h', () => {
    expect(formatDuration(0.4)).toBe('0 s');
    expect(formatDuration(59.6)).toBe('1 min 0 s');
    expect(formatDuration(653)).toBe('10 min 53 s');
    expect(formatDuration(7325)).toBe('2 h 2 min');
    expect(formatDuration(Infinity)).toBe('unknown');
  });
});
