/**
 * Runs the benchmarks: `node --conditions=source --import tsx bench/run.ts [name...] [--quick]`.
 *
 * Each benchmark runs in its own child process (a clean heap for memory figures, and a hard
 * time bound: the child's process group is killed when it overruns). The run fails only when
 * a benchmark crashed or produced no figures, never because a figure missed its goal: the CI
 * smoke (`npm run bench -- --quick`) must pass on a slow machine.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  type Benchmark,
  type BenchmarkResult,
  formatResult,
  hasFigures,
  now,
  writeResult,
} from './harness.js';

/** Every benchmark, in the order `npm run bench` runs them, by file (kebab-case = name). */
export const BENCHMARKS = [
  'warm-turn',
  'relay',
  'replay',
  'append',
  'new-session',
  'hibernation',
  'density',
  'load',
] as const;

const RESULT_MARKER = 'BENCH_RESULT ';

function budgetMs(quick: boolean): number {
  const fromEnv = Number(process.env.BENCH_BUDGET_MS);
  if (Number.isFinite(fromEnv) && fromEnv > 0) return fromEnv;
  // The hard bound is 2 min (20 s quick); the budget leaves room for start and teardown.
  return quick ? 14_000 : 100_000;
}

function hardLimitMs(quick: boolean, budget: number): number {
  return budget + (quick ? 5_500 : 18_000);
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function runChild(name: string, quick: boolean): Promise<void> {
  const budget = budgetMs(quick);
  const module = (await import(`./${name}.js`)) as { default: Benchmark };
  const benchmark = module.default;
  const started = now();
  const context = {
    quick,
    budgetMs: budget,
    remainingMs: () => budget - (now() - started),
    log: (line: string) => process.stderr.write(`  [${name}] ${line}\n`),
  };
  process.stderr.write(`\n${name}: ${benchmark.description}\n`);
  const result: BenchmarkResult = await benchmark.run(context);
  const elapsedMs = now() - started;
  process.stdout.write(`\n${formatResult(name, result)}\n  (${(elapsedMs / 1000).toFixed(1)} s)\n`);
  const path = await writeResult(name, result, {
    date: new Date().toISOString(),
    commit: commit(),
    quick,
    elapsedMs,
    node: process.version,
  });
  process.stdout.write(`${RESULT_MARKER}${path}\n`);
  process.exitCode = hasFigures(result) ? 0 : 3;
}

interface Outcome {
  name: string;
  ok: boolean;
  why?: string;
  path?: string;
}

function runInChild(name: string, quick: boolean): Promise<Outcome> {
  const budget = budgetMs(quick);
  const args = [
    ...process.execArgv,
    '--expose-gc',
    fileURLToPath(import.meta.url),
    '--child',
    name,
  ];
  if (quick) args.push('--quick');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
      env: { ...process.env, BENCH_BUDGET_MS: String(budget) },
    });
    let resultPath: string | undefined;
    let killed = false;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.startsWith(RESULT_MARKER)) resultPath = line.slice(RESULT_MARKER.length);
        else process.stdout.write(`${line}\n`);
        newline = buffered.indexOf('\n');
      }
    });
    const timer = setTimeout(
      () => {
        killed = true;
        // The child leads its own process group: this ends it and the CLI processes it spawned.
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
        }
      },
      hardLimitMs(quick, budget),
    );
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (killed) {
        resolve({
          name,
          ok: false,
          why: `killed after its hard limit of ${hardLimitMs(quick, budget)} ms`,
        });
      } else if (code === 0 && resultPath) {
        resolve({ name, ok: true, path: resultPath });
      } else if (code === 3) {
        resolve({
          name,
          ok: false,
          why: 'produced no figures',
          ...(resultPath ? { path: resultPath } : {}),
        });
      } else {
        resolve({ name, ok: false, why: `crashed (exit ${code ?? signal})` });
      }
    });
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const childIndex = argv.indexOf('--child');
  if (childIndex >= 0) {
    const name = argv[childIndex + 1];
    if (!name) throw new Error('--child needs a benchmark name');
    await runChild(name, quick);
    return;
  }
  const names = argv.filter((arg) => !arg.startsWith('--'));
  const unknown = names.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.join(', ')}\n`,
    );
    process.exitCode = 2;
    return;
  }
  const selected = names.length > 0 ? names : [...BENCHMARKS];
  process.stdout.write(
    `agent-sessions benchmarks${quick ? ' (--quick)' : ''}: ${selected.join(', ')}; commit ${commit()}, node ${process.version}\n`,
  );
  const outcomes: Outcome[] = [];
  for (const name of selected) outcomes.push(await runInChild(name, quick));

  process.stdout.write('\n== summary\n');
  for (const outcome of outcomes) {
    let ratios = '';
    if (outcome.path) {
      const saved = JSON.parse(await readFile(outcome.path, 'utf8')) as BenchmarkResult;
      ratios = saved.ratios
        .map(
          (ratio) =>
            `${ratio.name} ${ratio.value.toFixed(2)}x (${ratio.goal}${ratio.met === undefined ? '' : ratio.met ? ' met' : ' MISSED'})`,
        )
        .join('; ');
    }
    process.stdout.write(
      `${outcome.ok ? 'ok  ' : 'FAIL'} ${outcome.name}${outcome.why ? `: ${outcome.why}` : ''}${ratios ? `\n       ${ratios}` : ''}\n`,
    );
  }
  if (outcomes.some((outcome) => !outcome.ok)) process.exitCode = 1;
}

await main();
