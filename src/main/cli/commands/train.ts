import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { ExitCode, UserError, type CliCommand, type CliIO } from '../command';
import { parseCommandArgs, positiveInteger, printJson } from '../options';

const usage =
  'mer-studio train --flow-maps <dir> --labels <csv> --out <dir> [--loso] [--preset cpu|paper] [--json] ' +
  '[--threads N] [--workers W] [--seed S] [--folds s1,s2] [--resume] [--epochs N] [--ensemble K] [--epoch-audit] [--unit-labels F ...] [--set section.field=value ...] [--progress]';

const TRAINER_MODULE = 'models.ahmsa.train';
const TRAINER_FILE = path.join('models', 'ahmsa', 'train.py');

/** One JSON line the Python trainer writes on stdout with --progress. */
interface TrainerEvent {
  event: string;
  [field: string]: unknown;
}

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'train AHMSA-Net (LOSO evaluation or one model on all maps) with the Python trainer',
  help: `${usage}

Runs the PyTorch trainer (python -m ${TRAINER_MODULE}) with the same flags. With --loso it trains one
model per held-out subject on a fixed schedule (final epoch, never test-picked), pools the
predictions and writes predictions.csv, metrics.json (UF1/UAR overall and per dataset, confusion
matrices) and folds/<subject>.json (resumable with --resume). Without --loso it trains on every
labelled map and writes <out>/model.pt (export it with python -m models.ahmsa.export).

  --flow-maps <dir>  folder of 28×28 maps: PNG (R=u, G=v, B=strain) or NPY float [3,28,28]
  --labels <csv>     labels with a subject column (subject|sub), label (0/1/2 or names) and
                     file (file|filename|path|map) or clip (filename_o|clip: map <sub>_<clip>);
                     or MEGC2019's headerless db,subject,clip,label (combined_3class_gt.csv)
  --out <dir>        output folder
  --loso             leave-one-subject-out evaluation
  --preset <name>    cpu (default; 2-core CPU) or paper (the paper's settings; for a GPU)
  --threads N        CPU threads in all (default: all cores)
  --workers W        folds trained in parallel processes (threads are shared out)
  --seed S           random seed (default 0)
  --folds s1,s2      hold out only these subjects
  --resume           skip folds already finished in --out
  --epochs N         override the preset's epochs (recorded in metrics.json)
  --ensemble K       override the preset's number of seeds averaged per model
  --unit-labels F    action units per clip (mer-studio import <coding sheet> --units-csv F), once
                     per file: the cpu preset learns them as a second task (class output only)
  --epoch-audit      also record every epoch's held-out predictions and write audit.json: what
                     picking epochs by test-subject results (as HTNet's published figure does)
                     would report. Not an estimate; predictions stay final-epoch
  --set S.F=V        override one preset field (e.g. training.mixup_alpha=0.2), repeatable;
                     recorded in config.json and metrics.json, for exploration
  --json             print the trainer's JSON summary on stdout
  --progress         print the trainer's JSON lines (epochs, folds, warnings, summary last)

Python: $MER_PYTHON if set, else /usr/bin/python3, else python3; it must import torch.`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        'flow-maps': { type: 'string' },
        labels: { type: 'string' },
        out: { type: 'string' },
        loso: { type: 'boolean' },
        preset: { type: 'string' },
        threads: { type: 'string' },
        workers: { type: 'string' },
        seed: { type: 'string' },
        folds: { type: 'string' },
        resume: { type: 'boolean' },
        epochs: { type: 'string' },
        ensemble: { type: 'string' },
        'epoch-audit': { type: 'boolean' },
        'unit-labels': { type: 'string', multiple: true },
        set: { type: 'string', multiple: true },
        progress: { type: 'boolean' },
      },
      usage,
    );
    if (positionals.length > 0)
      throw new UserError(`unexpected argument ${positionals[0]}\nusage: ${usage}`, ExitCode.usage);
    for (const required of ['flow-maps', 'labels', 'out'] as const) {
      if (!values[required])
        throw new UserError(`--${required} is required\nusage: ${usage}`, ExitCode.usage);
    }
    const trainerArgs = [
      '-m',
      TRAINER_MODULE,
      '--flow-maps',
      path.resolve(values['flow-maps']!),
      '--labels',
      path.resolve(values.labels!),
      '--out',
      path.resolve(values.out!),
      '--preset',
      values.preset ?? 'cpu',
      '--progress',
    ];
    if (values.loso) trainerArgs.push('--loso');
    if (values.resume) trainerArgs.push('--resume');
    if (values['epoch-audit']) trainerArgs.push('--epoch-audit');
    for (const file of values['unit-labels'] ?? [])
      trainerArgs.push('--unit-labels', path.resolve(file));
    if (values.folds) trainerArgs.push('--folds', values.folds);
    for (const setting of values.set ?? []) trainerArgs.push('--set', setting);
    const numeric: Array<[string, string | undefined]> = [
      ['threads', values.threads],
      ['workers', values.workers],
      ['epochs', values.epochs],
      ['ensemble', values.ensemble],
    ];
    for (const [name, value] of numeric) {
      if (value !== undefined)
        trainerArgs.push(`--${name}`, String(positiveInteger(value, `--${name}`, 1)));
    }
    if (values.seed !== undefined) {
      if (!/^\d+$/.test(values.seed))
        throw new UserError(
          `--seed must be a whole number, got ${JSON.stringify(values.seed)}`,
          ExitCode.usage,
        );
      trainerArgs.push('--seed', values.seed);
    }

    const projectRoot = findProjectRoot();
    const python = findTorchPython();
    const summary = await runTrainer(python, trainerArgs, projectRoot, io, values.progress);
    if (values.progress) return ExitCode.ok;
    if (values.json) printJson(io, summary);
    else io.out(describeSummary(summary, Boolean(values.loso), path.resolve(values.out!)));
    return ExitCode.ok;
  },
};

/** The folder holding models/ahmsa/train.py: searched upwards from this file and from the cwd. */
function findProjectRoot(): string {
  const starts = [path.dirname(fileURLToPath(import.meta.url)), process.cwd()];
  if (process.env.MER_PROJECT_ROOT) starts.unshift(process.env.MER_PROJECT_ROOT);
  for (const start of starts) {
    let folder = path.resolve(start);
    for (;;) {
      if (existsSync(path.join(folder, TRAINER_FILE))) return folder;
      const parent = path.dirname(folder);
      if (parent === folder) break;
      folder = parent;
    }
  }
  throw new UserError(
    `cannot find ${TRAINER_FILE} above ${starts.join(' or ')}; run from the project folder or set MER_PROJECT_ROOT`,
    ExitCode.failure,
  );
}

/** $MER_PYTHON if set (and only it), else /usr/bin/python3, else python3 — the first that imports torch. */
function findTorchPython(): string {
  const fromEnv = process.env.MER_PYTHON;
  const candidates = fromEnv ? [fromEnv] : ['/usr/bin/python3', 'python3'];
  const tried: string[] = [];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', 'import torch; print(torch.__version__)'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (probe.status === 0) return candidate;
    const reason = probe.error
      ? ((probe.error as NodeJS.ErrnoException).code ?? probe.error.message)
      : 'no torch';
    tried.push(`${candidate} (${reason === 'ENOENT' ? 'not found' : reason})`);
  }
  throw new UserError(
    `no Python with PyTorch found: tried ${tried.join(', ')}. Install PyTorch (Debian: apt install python3-torch) ` +
      'or point MER_PYTHON at a python that has it.',
    ExitCode.failure,
  );
}

function runTrainer(
  python: string,
  args: string[],
  cwd: string,
  io: CliIO,
  printEvents = false,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    // Its own process group (not on Windows), so a cancel reaches the fold workers too.
    const ownGroup = process.platform !== 'win32';
    const child = spawn(python, args, {
      cwd,
      detached: ownGroup,
      env: {
        ...process.env,
        PYTHONPATH: [cwd, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
        PYTHONUNBUFFERED: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let summary: Record<string, unknown> | undefined;
    let lastError: string | undefined;
    const stop = (signal: NodeJS.Signals) => {
      try {
        if (ownGroup && child.pid !== undefined) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // already gone
      }
    };
    let forceStop: NodeJS.Timeout | undefined;
    const onAbort = () => {
      stop('SIGTERM');
      forceStop = setTimeout(() => stop('SIGKILL'), 15_000);
    };
    io.signal.addEventListener('abort', onAbort, { once: true });

    // The trainer's stderr is already human-readable progress, warnings and errors.
    // The trainer's "cancelled: N of M folds …" line becomes the CLI's own message.
    let cancelled: string | undefined;
    createInterface({ input: child.stderr }).on('line', (line) => {
      // The CLI's own failure message repeats the trainer's last error line: not shown twice.
      if (line.startsWith('error: ')) lastError = line.slice('error: '.length);
      else if (line.startsWith('cancelled: ')) cancelled = line;
      else io.err(line);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = parseEvent(line);
      if (!event) return;
      if (printEvents) io.out(line);
      if (event.event === 'summary') {
        summary = Object.fromEntries(Object.entries(event).filter(([key]) => key !== 'event'));
      } else if (event.event === 'epoch' && io.isTTY) {
        const where = event.subject ? `subject ${String(event.subject)} ` : '';
        io.err(`\r${where}epoch ${String(event.epoch)}/${String(event.epochs)}   `);
      }
    });

    child.on('error', (error) => {
      io.signal.removeEventListener('abort', onAbort);
      reject(new UserError(`cannot run ${python}: ${error.message}`, ExitCode.failure));
    });
    child.on('close', (code, signal) => {
      io.signal.removeEventListener('abort', onAbort);
      clearTimeout(forceStop);
      if (io.isTTY) io.err('\n');
      if (io.signal.aborted || code === 130) {
        const message = cancelled ?? 'cancelled; finished folds are kept (rerun with --resume)';
        reject(new UserError(message, ExitCode.failure));
      } else if (code === 0 && summary) {
        resolve(summary);
      } else if (code === 2) {
        reject(
          new UserError(
            lastError ?? 'the trainer rejected its arguments (see above)',
            ExitCode.usage,
          ),
        );
      } else if (code === 3) {
        reject(new UserError(lastError ?? 'bad input (see above)', ExitCode.badInput));
      } else {
        const how = signal ? `signal ${signal}` : `exit code ${String(code)}`;
        reject(
          new UserError(
            `the trainer failed (${how})${lastError ? `: ${lastError}` : ''}`,
            ExitCode.failure,
          ),
        );
      }
    });
  });
}

function parseEvent(line: string): TrainerEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as unknown;
    return value && typeof value === 'object' && 'event' in value
      ? (value as TrainerEvent)
      : undefined;
  } catch {
    return undefined;
  }
}

function describeSummary(summary: Record<string, unknown>, loso: boolean, out: string): string {
  if (!loso) return `model saved: ${String(summary.checkpoint)} (${String(summary.samples)} maps)`;
  const format = (value: unknown) => (typeof value === 'number' ? value.toFixed(4) : String(value));
  const lines = [
    `UF1 ${format(summary.uf1)}  UAR ${format(summary.uar)}  (${String(summary.samples)} samples, ${String(summary.folds)} folds)`,
  ];
  const perDataset = (summary.perDataset ?? {}) as Record<
    string,
    { uf1: number; uar: number; samples: number }
  >;
  for (const [name, part] of Object.entries(perDataset)) {
    lines.push(`  ${name}: UF1 ${format(part.uf1)}  UAR ${format(part.uar)}  (${part.samples})`);
  }
  lines.push(...describeAudit(summary.audit));
  lines.push(
    `predictions: ${path.join(out, 'predictions.csv')}`,
    `metrics: ${path.join(out, 'metrics.json')}`,
  );
  if (summary.audit) lines.push(`epoch audit: ${path.join(out, 'audit.json')}`);
  return lines.join('\n');
}

interface AuditFigures {
  uf1: number;
  uar: number;
  epoch?: number;
}

function describeAudit(audit: unknown): string[] {
  if (!audit || typeof audit !== 'object') return [];
  const { bestEpochForAll: forAll, bestEpochPerSubject: perSubject } = audit as Record<
    string,
    AuditFigures
  >;
  const figures = (part: AuditFigures) => `UF1 ${part.uf1.toFixed(4)}  UAR ${part.uar.toFixed(4)}`;
  return [
    'epoch audit (epochs picked by test-subject results: NOT an estimate):',
    `  one epoch for all (${String(forAll.epoch)}): ${figures(forAll)}`,
    `  best epoch per subject: ${figures(perSubject)}`,
  ];
}
