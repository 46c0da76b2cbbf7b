/**
 * The progress line of long CLI work on an interactive stderr: bar, percentage, bytes, rate and
 * estimated time left when the total is known; bytes and rate when it is not (stdin). Rendering
 * is a pure function of the state ({@link renderProgress}), so it is tested without a terminal.
 */

/** What the progress line is written to: stderr, or a fake terminal in tests. */
export interface ProgressStream {
  write(s: string): unknown;
  readonly columns?: number;
}

/** A progress reporter: bytes done so far come in increments. */
export interface Progress {
  add(n: number): void;
  done(): void;
}

/** The reporter that shows nothing (not a terminal, --json, --quiet, small input). */
export const NO_PROGRESS: Progress = { add() {}, done() {} };

/** The state one line shows. `total` undefined: the size is not known in advance. */
export interface ProgressState {
  readonly label: string;
  readonly done: number;
  readonly total: number | undefined;
  readonly elapsedMs: number;
  readonly columns: number;
}

/** Bytes for humans in SI units (the rate is in MB/s, so sizes are in MB/GB too). */
export function formatBytes(n: number): string {
  if (n < 1e3) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n / 1e3;
  let i = 0;
  while (v >= 1e3 && i < units.length - 1) {
    v /= 1e3;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ${units[i]}`;
}

/** A duration in whole seconds as m:ss, or h:mm:ss from one hour on. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * One progress line (without the leading carriage return).
 *
 * @example
 * ```ts
 * renderProgress({ label: 'sealing disk.img', done: 5e8, total: 1e9, elapsedMs: 2000, columns: 80 });
 * // 'sealing disk.img [##########          ]  50% 500 MB/1.0 GB 250 MB/s ETA 0:02'
 * ```
 */
export function renderProgress(st: ProgressState): string {
  const secs = st.elapsedMs / 1000;
  const rate = secs > 0 ? st.done / secs : 0; // bytes per second
  const mbs = rate / 1e6;
  const rateText = `${mbs < 10 ? mbs.toFixed(1) : mbs.toFixed(0)} MB/s`;
  if (st.total === undefined) return `${st.label} ${formatBytes(st.done)} ${rateText}`;
  const frac = st.total === 0 ? 1 : Math.min(1, st.done / st.total);
  const left = Math.max(0, st.total - st.done);
  const eta = left === 0 ? 'ETA 0:00' : rate > 0 ? `ETA ${formatDuration(left / rate)}` : 'ETA --:--';
  const tail = ` ${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(st.done)}/${formatBytes(st.total)} ${rateText} ${eta}`;
  const width = Math.max(10, Math.min(40, st.columns - st.label.length - tail.length - 4));
  const fill = Math.round(frac * width);
  return `${st.label} [${'#'.repeat(fill)}${' '.repeat(width - fill)}]${tail}`;
}

/**
 * A progress reporter drawing on `stream` at most every 100 ms (and once at the end); `label`
 * must already be escaped for the terminal. `now` is the clock (injectable for tests).
 */
export function progressLine(stream: ProgressStream, label: string, total: number | undefined, now: () => number = Date.now): Progress {
  let done = 0;
  let last = 0;
  let width = 0; // the longest line drawn so far: a shorter one is padded to erase the rest
  const start = now();
  const draw = (): void => {
    const line = renderProgress({ label, done, total, elapsedMs: now() - start, columns: stream.columns ?? 80 });
    stream.write(`\r${line.padEnd(width)}`);
    width = Math.max(width, line.length);
  };
  return {
    add(n) {
      done += n;
      const t = now();
      if (t - last >= 100) {
        last = t;
        draw();
      }
    },
    done() {
      draw();
      stream.write('\n');
    },
  };
}
