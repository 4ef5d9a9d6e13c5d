import {
  computeFlow,
  defaultFlowThreads,
  endpointErrorStats,
  FLOW_PRESETS,
  type FlowPreset,
  flowMagnitudeStats,
  readFlo,
  readGreyImage,
  writeFlo,
  type FlowField,
  type GreyImage,
} from '../../flow';
import { ExitCode, UserError, type CliCommand, type CliIO } from '../command';
import { parseCommandArgs } from '../options';
import { unwritableReason } from '../../report/output';

const HELP = `Usage: mer-studio flow <frame0> <frame1> [options]

TV-L1 optical flow (IPOL 2013) from frame0 to frame1 (PNG, JPEG, ... read as grey).

Options:
  --out <file.flo>   write the flow as a Middlebury .flo file
  --gt <file.flo>    ground-truth flow: also print the average endpoint error (AEE)
  --threads <n>      worker threads (default: ${defaultThreadsText()})
  --preset <name>    parameter set: ${Object.keys(FLOW_PRESETS).join(', ')} (default ipol)
  --json             print one JSON object instead of text
  -h, --help         show this help`;

function defaultThreadsText(): string {
  try {
    return String(defaultFlowThreads());
  } catch {
    return 'hardware threads';
  }
}

interface FlowReport {
  frame0: string;
  frame1: string;
  width: number;
  height: number;
  preset: FlowPreset;
  threads: number;
  seconds: number;
  meanMagnitude: number;
  maxMagnitude: number;
  iterations: number;
  scales: number;
  out?: string;
  aee?: number;
  gtPixels?: number;
}

const USAGE =
  'mer-studio flow <frame0> <frame1> [--out f.flo] [--gt gt.flo] [--threads N] [--preset ipol|accurate|fast] [--json]';

function parseFlowArgs(argv: string[]) {
  return parseCommandArgs(
    argv,
    {
      out: { type: 'string' },
      gt: { type: 'string' },
      threads: { type: 'string' },
      preset: { type: 'string' },
    },
    USAGE,
  );
}

function parseThreads(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const threads = Number(text);
  if (!/^\d+$/.test(text) || threads < 1 || threads > 64) {
    throw new UserError(`--threads must be an integer from 1 to 64, got "${text}"`, ExitCode.usage);
  }
  return threads;
}

function parsePreset(text: string | undefined): FlowPreset {
  if (text === undefined) return 'ipol';
  if (!Object.hasOwn(FLOW_PRESETS, text)) {
    throw new UserError(
      `--preset must be one of ${Object.keys(FLOW_PRESETS).join(', ')}, got "${text}"`,
      ExitCode.usage,
    );
  }
  return text as FlowPreset;
}

async function readFrame(file: string): Promise<GreyImage> {
  try {
    return await readGreyImage(file);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
}

async function readGroundTruth(file: string): Promise<FlowField> {
  try {
    return await readFlo(file);
  } catch (error) {
    throw new UserError(`cannot read ground truth ${file}: ${(error as Error).message}`);
  }
}

function formatReport(report: FlowReport): string {
  const lines = [
    `size        ${report.width}x${report.height}`,
    `time        ${(report.seconds * 1000).toFixed(1)} ms (${report.threads} thread${report.threads === 1 ? '' : 's'}, preset ${report.preset}, ${report.iterations} iterations over ${report.scales} scales)`,
    `magnitude   mean ${report.meanMagnitude.toFixed(3)} px, max ${report.maxMagnitude.toFixed(3)} px`,
  ];
  if (report.aee !== undefined) {
    lines.push(`AEE         ${report.aee.toFixed(4)} px over ${report.gtPixels} pixels`);
  }
  if (report.out) lines.push(`written     ${report.out}`);
  return lines.join('\n');
}

async function runFlow(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlowArgs(argv);
  if (values.help) {
    io.out(HELP);
    return ExitCode.ok;
  }
  if (positionals.length !== 2) {
    throw new UserError(
      `expected two frames, got ${positionals.length}\nusage: ${USAGE}`,
      ExitCode.usage,
    );
  }
  const [file0, file1] = positionals;
  const unwritable = values.out ? await unwritableReason(values.out) : null;
  if (unwritable) throw new UserError(`--out ${unwritable}`);
  const threads = parseThreads(values.threads) ?? defaultFlowThreads();
  const preset = parsePreset(values.preset);
  const [frame0, frame1] = await Promise.all([readFrame(file0), readFrame(file1)]);
  if (frame0.width !== frame1.width || frame0.height !== frame1.height) {
    throw new UserError(
      `frames differ in size: ${frame0.width}x${frame0.height} vs ${frame1.width}x${frame1.height}`,
    );
  }
  const groundTruth = values.gt ? await readGroundTruth(values.gt) : undefined;
  if (groundTruth && (groundTruth.width !== frame0.width || groundTruth.height !== frame0.height)) {
    throw new UserError(
      `ground truth is ${groundTruth.width}x${groundTruth.height}, frames are ${frame0.width}x${frame0.height}`,
    );
  }

  const started = performance.now();
  let flow;
  try {
    flow = await computeFlow(frame0, frame1, { preset, threads, signal: io.signal });
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) {
      throw new UserError(`cannot compute flow: ${error.message}`);
    }
    throw error;
  }
  const seconds = (performance.now() - started) / 1000;
  if (values.out) await writeFlo(values.out, flow);

  const magnitude = flowMagnitudeStats(flow);
  const report: FlowReport = {
    frame0: file0,
    frame1: file1,
    width: flow.width,
    height: flow.height,
    preset,
    threads,
    seconds,
    meanMagnitude: magnitude.mean,
    maxMagnitude: magnitude.max,
    iterations: flow.iterations,
    scales: flow.scales,
    out: values.out,
  };
  if (groundTruth) {
    const error = endpointErrorStats(flow, groundTruth);
    report.aee = error.mean;
    report.gtPixels = error.count;
  }
  io.out(values.json ? JSON.stringify(report) : formatReport(report));
  return ExitCode.ok;
}

export const flowCommand: CliCommand = {
  name: 'flow',
  summary: 'TV-L1 optical flow between two frames (.flo output, AEE against ground truth)',
  help: HELP,
  run: runFlow,
};
