import { loadFlowAddon, type FlowAddon, type NativeFlow } from './native';
import {
  FLOW_PRESETS,
  type FlowComputation,
  type FlowRunOptions,
  type GreyImage,
  type Tvl1Options,
} from './types';
import { checkGreyImage, checkSameSize } from './validate';

const OPTION_KEYS: readonly (keyof Tvl1Options)[] = [
  'tau',
  'lambda',
  'theta',
  'warps',
  'epsilon',
  'maxIterations',
  'zoom',
  'sigma',
  'scales',
  'medianFilter',
  'warpCubicA',
];

/** Creates the error an aborted computation rejects with (name "AbortError", like fetch). */
export function abortError(): DOMException {
  return new DOMException('optical flow computation aborted', 'AbortError');
}

/** Preset values overridden by the explicitly given options; unknown preset names throw. */
export function resolveTvl1Options(options: FlowRunOptions = {}): Tvl1Options {
  const presetName = options.preset ?? 'ipol';
  if (!Object.hasOwn(FLOW_PRESETS, presetName)) {
    throw new RangeError(
      `unknown flow preset "${String(presetName)}" (one of ${Object.keys(FLOW_PRESETS).join(', ')})`,
    );
  }
  const resolved: Tvl1Options = { ...FLOW_PRESETS[presetName] };
  for (const key of OPTION_KEYS) {
    const value = options[key];
    if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  return resolved;
}

/**
 * TV-L1 optical flow from frame0 to frame1 (IPOL 2013; parameters in Tvl1Options), computed on
 * native threads: the event loop is never blocked. Rejects with TypeError/RangeError for bad
 * input (mismatched or zero sizes, wrong lengths, NaN/Infinity, images over 8192 px a side or
 * 16 Mpx) and with an AbortError when `signal` aborts.
 *
 * Computations run one at a time (each already uses every requested thread); later calls wait
 * in a queue without holding one of libuv's few pool threads, which file I/O also needs. The
 * frames are read when a computation starts: do not modify them until its promise settles.
 */
export async function computeFlow(
  frame0: GreyImage,
  frame1: GreyImage,
  options: FlowRunOptions = {},
): Promise<FlowComputation> {
  checkGreyImage(frame0, 'frame0');
  checkGreyImage(frame1, 'frame1');
  checkSameSize(frame0, frame1, 'frames');
  const params = resolveTvl1Options(options);
  const { signal } = options;
  if (signal?.aborted) throw abortError();
  const addon = loadFlowAddon();
  const threads = options.threads ?? addon.hardwareThreads();
  return inTurn(signal, async () => {
    const flow = await runNative(addon, frame0, frame1, { ...params, threads }, signal);
    return { width: frame0.width, height: frame0.height, ...flow };
  });
}

let queueTail: Promise<unknown> = Promise.resolve();

/**
 * Runs `task` after every earlier task has settled. An abort rejects the caller at once; a task
 * whose turn comes after its signal aborted is skipped.
 */
function inTurn<T>(signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
  const turn = queueTail.then(() => (signal?.aborted ? Promise.reject(abortError()) : task()));
  queueTail = turn.catch(() => undefined);
  if (!signal) return turn;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    turn.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function runNative(
  addon: FlowAddon,
  frame0: GreyImage,
  frame1: GreyImage,
  options: Tvl1Options & { threads: number },
  signal: AbortSignal | undefined,
): Promise<NativeFlow> {
  const job = addon.computeFlow(frame0.data, frame1.data, frame0.width, frame0.height, options);
  const onAbort = (): void => job.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await job.promise;
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') throw abortError();
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Hardware threads the addon uses by default. */
export function defaultFlowThreads(): number {
  return loadFlowAddon().hardwareThreads();
}
