/**
 * The shared benchmark harness: timing, summaries (median, p99, min-max), table printing,
 * JSON results, and the time budget every benchmark stays within.
 *
 * A benchmark measures its own baseline in the same run and reports ratios: the machines are
 * shared and noisy, so absolute figures mean little, while two figures taken side by side do.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where JSON results go (git-ignored). */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

/** A summary of samples (usually milliseconds). */
export interface Summary {
  count: number;
  median: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

/** One line of a benchmark's table. */
export interface Row {
  /** What was measured, e.g. `ours: WS frame -> first assistant frame`. */
  label: string;
  unit: string;
  summary?: Summary;
  /** A single figure (throughput, RSS) when there are no per-sample statistics. */
  value?: number;
  /** Anything else worth printing (e.g. `n=30`, `sample of 20 real turns`). */
  note?: string;
}

/** A ratio of ours against a baseline, with the goal it is held to. */
export interface Ratio {
  name: string;
  value: number;
  /** The goal in words, e.g. `<= 1.05`. */
  goal: string;
  /** Whether the goal is met; undefined when the figure has no goal (informational). */
  met?: boolean;
}

export interface BenchmarkResult {
  rows: Row[];
  ratios: Ratio[];
  /** Plain statements printed under the table (method caveats, what was not measured). */
  notes: string[];
}

export interface BenchmarkContext {
  quick: boolean;
  /** Milliseconds left of this benchmark's budget; loops stop before reaching 0. */
  remainingMs(): number;
  /** The budget of this benchmark in ms. */
  budgetMs: number;
  /** Progress lines (stderr, so stdout keeps the tables). */
  log(line: string): void;
}

export interface Benchmark {
  name: string;
  /** One line: what is compared with what, and the goal. */
  description: string;
  run(context: BenchmarkContext): Promise<BenchmarkResult>;
}

/** Milliseconds since an arbitrary origin, sub-millisecond precision. */
export const now = (): number => performance.now();

/** The q-quantile (0..1) of sorted values, nearest-rank. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/**
 * Median, p99, min, max and mean of the samples.
 *
 * @example
 * ```ts
 * const summary = summarize([3.1, 2.9, 4.2]); // summary.median === 3.1
 * ```
 */
export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  const median = quantile(sorted, 0.5);
  return {
    count: sorted.length,
    median,
    p50: median,
    p99: quantile(sorted, 0.99),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

/** `a / b`, NaN when either is missing or b is 0. */
export function ratioOf(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) {
    return Number.NaN;
  }
  return a / b;
}

/** A ratio held to `value <= limit`. */
export function atMost(name: string, value: number, limit: number): Ratio {
  return { name, value, goal: `<= ${limit}`, met: Number.isFinite(value) ? value <= limit : false };
}

/** A ratio held to `value >= limit`. */
export function atLeast(name: string, value: number, limit: number): Ratio {
  return { name, value, goal: `>= ${limit}`, met: Number.isFinite(value) ? value >= limit : false };
}

/** A ratio reported without a goal. */
export function info(name: string, value: number): Ratio {
  return { name, value, goal: '(info)' };
}

/** Rejects after `ms` with a message naming `what` (timers unref'd). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Resident set size of this process in MiB. */
export function rssMiB(): number {
  return process.memoryUsage().rss / 1024 ** 2;
}

function format(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function pad(cells: string[][]): string {
  const widths =
    cells[0]?.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0))) ?? [];
  return cells
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The benchmark's table, ratios and notes as text. */
export function formatResult(name: string, result: BenchmarkResult): string {
  const lines: string[] = [`== ${name}`];
  const cells = [['measure', 'unit', 'median', 'p99', 'min', 'max', 'n', 'note']];
  for (const row of result.rows) {
    const summary = row.summary;
    cells.push([
      row.label,
      row.unit,
      format(summary ? summary.median : row.value),
      format(summary?.p99),
      format(summary?.min),
      format(summary?.max),
      summary ? String(summary.count) : '',
      row.note ?? '',
    ]);
  }
  lines.push(pad(cells));
  if (result.ratios.length > 0) {
    lines.push('');
    const ratioCells = [['ratio', 'value', 'goal', 'met']];
    for (const ratio of result.ratios) {
      ratioCells.push([
        ratio.name,
        `${format(ratio.value)}x`,
        ratio.goal,
        ratio.met === undefined ? '' : ratio.met ? 'yes' : 'NO',
      ]);
    }
    lines.push(pad(ratioCells));
  }
  for (const note of result.notes) lines.push(`  note: ${note}`);
  return lines.join('\n');
}

/** Whether a result carries at least one real figure (the CI smoke asserts only this). */
export function hasFigures(result: BenchmarkResult): boolean {
  return result.rows.some((row) =>
    row.summary
      ? row.summary.count > 0 && Number.isFinite(row.summary.median)
      : Number.isFinite(row.value ?? Number.NaN),
  );
}

/** Writes `bench/results/<name>-<date>.json` and returns its path. */
export async function writeResult(
  name: string,
  result: BenchmarkResult,
  meta: Record<string, unknown>,
): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(RESULTS_DIR, `${name}-${stamp}.json`);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify({ name, ...meta, ...result }, null, 2)}\n`);
  return path;
}

/**
 * Runs `task` repeatedly until `count` samples are taken or the budget says stop, returning
 * each run's duration in ms (the task may return its own figure instead).
 */
export async function sample(
  context: BenchmarkContext,
  count: number,
  task: (index: number) => Promise<number | undefined>,
  options: { reserveMs?: number; minimum?: number } = {},
): Promise<number[]> {
  const reserve = options.reserveMs ?? 0;
  const minimum = options.minimum ?? 1;
  const samples: number[] = [];
  for (let index = 0; index < count; index += 1) {
    if (samples.length >= minimum && context.remainingMs() < reserve) break;
    const started = now();
    const figure = await task(index);
    samples.push(figure ?? now() - started);
  }
  return samples;
}
