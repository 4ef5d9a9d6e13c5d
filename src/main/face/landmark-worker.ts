/**
 * Worker thread that owns the face landmark model: @vladmandic/human (BlazeFace + 468-point
 * FaceMesh, weights shipped in the package) on tfjs's WebAssembly backend, loaded once.
 *
 * Why the browser bundle: the package's Node builds (dist/human.node*.js) require
 * @tensorflow/tfjs-converter, which is not a dependency here. dist/human.esm.js bundles tfjs
 * (converter included) but was built for browsers: its `util`, `fs` and `__dirname` are stubbed.
 * Three adjustments, confined to this thread, make it run in Node:
 *  1. hide process.versions.node while the bundle is evaluated, so tfjs does not pick its Node
 *     platform (which needs the stubbed `util`);
 *  2. give tfjs a platform, and this thread a global fetch, that read file:// URLs (the models and
 *     the .wasm binary) from disk (Node's fetch does not do file://; no network is ever used);
 *  3. define __dirname (read by the emscripten glue) and ask for single-threaded SIMD wasm loaded
 *     through that fetch (`wasmPlatformFetch`), so emscripten never touches the stubbed `fs`.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import type { DetectReply, DetectRequest, DetectedFace, WorkerReady } from './landmark-protocol';

interface HumanFace {
  box: [number, number, number, number];
  score: number;
  /** BlazeFace's confidence in the face box. */
  boxScore: number;
  /** FaceMesh's confidence in the mesh. */
  faceScore: number;
  mesh: Array<[number, number, number?]>;
}

interface HumanTensor {
  dispose(): void;
}

interface HumanTf {
  setPlatform(name: string, platform: object): void;
  env(): { set(flag: string, value: boolean): void };
  getBackend(): string;
  tensor3d(values: Uint8Array, shape: [number, number, number], dtype: 'int32'): HumanTensor;
}

interface HumanInstance {
  tf: HumanTf;
  load(): Promise<void>;
  detect(input: HumanTensor): Promise<{ face: HumanFace[]; error: string | null }>;
}

type HumanModule = { Human: new (config: object) => HumanInstance };

const resolver = createRequire(import.meta.url);
const humanDist = path.dirname(resolver.resolve('@vladmandic/human'));
const wasmDist = path.dirname(resolver.resolve('@tensorflow/tfjs-backend-wasm'));

async function fileFetch(input: string | URL | Request): Promise<Response> {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (!url.startsWith('file://')) throw new Error(`landmark model: no network access (${url})`);
  const bytes = await readFile(new URL(url));
  const type = url.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream';
  return new Response(bytes, { headers: { 'content-type': type } });
}

async function importBrowserBundle(): Promise<HumanModule> {
  const versions = Object.getOwnPropertyDescriptor(process, 'versions');
  Object.defineProperty(process, 'versions', {
    value: { ...process.versions, node: undefined },
    configurable: true,
  });
  try {
    const url = pathToFileURL(path.join(humanDist, 'human.esm.js')).href;
    return (await import(url)) as HumanModule;
  } finally {
    if (versions) Object.defineProperty(process, 'versions', versions);
  }
}

async function loadHuman(): Promise<HumanInstance> {
  (globalThis as { __dirname?: string }).__dirname = wasmDist;
  globalThis.fetch = fileFetch;
  const { Human } = await importBrowserBundle();
  const human = new Human({
    backend: 'wasm',
    wasmPath: `${pathToFileURL(wasmDist).href}/`,
    wasmPlatformFetch: true,
    modelBasePath: `${pathToFileURL(path.join(humanDist, '..', 'models')).href}/`,
    debug: false,
    async: true,
    warmup: 'none',
    cacheSensitivity: 0,
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: { rotation: true, maxDetected: 4, minConfidence: 0.3, skipFrames: 0 },
      mesh: { enabled: true },
      iris: { enabled: false },
      attention: { enabled: false },
      description: { enabled: false },
      emotion: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
  });
  human.tf.setPlatform('mer-studio-node', {
    fetch: fileFetch,
    now: () => performance.now(),
    encode: (text: string) => new TextEncoder().encode(text),
    decode: (bytes: Uint8Array, encoding: string) => new TextDecoder(encoding).decode(bytes),
    isTypedArray: (value: unknown) => ArrayBuffer.isView(value) && !(value instanceof DataView),
    setTimeoutCustom: (callback: () => void, delay: number) => setTimeout(callback, delay),
  });
  human.tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await human.load();
  const backend = human.tf.getBackend();
  if (backend !== 'wasm') {
    throw new Error(`landmark model: WebAssembly backend failed to start (running on ${backend})`);
  }
  return human;
}

async function detect(human: HumanInstance, request: DetectRequest): Promise<DetectReply> {
  const started = performance.now();
  const rgb = new Uint8Array(request.rgb);
  const tensor = human.tf.tensor3d(rgb, [request.height, request.width, 3], 'int32');
  try {
    const result = await human.detect(tensor);
    if (result.error) return { id: request.id, ok: false, error: result.error };
    const faces: DetectedFace[] = result.face
      .filter((face) => face.mesh.length >= 468)
      .map((face) => ({
        box: [...face.box],
        score: face.score,
        boxScore: face.boxScore,
        faceScore: face.faceScore,
        mesh: Float32Array.from(face.mesh.flatMap(([x, y]) => [x, y])),
      }));
    return { id: request.id, ok: true, faces, milliseconds: performance.now() - started };
  } finally {
    tensor.dispose();
  }
}

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('landmark-worker must run as a worker thread');
  const human = loadHuman();
  human.then(
    (instance) =>
      port.postMessage({ ready: true, backend: instance.tf.getBackend() } satisfies WorkerReady),
    (error: unknown) =>
      port.postMessage({ ready: false, error: String(error) } satisfies WorkerReady),
  );
  // One image at a time: the wasm backend is single-threaded and tfjs is not re-entrant.
  let queue: Promise<unknown> = Promise.resolve();
  port.on('message', (request: DetectRequest) => {
    queue = queue.then(async () => {
      let reply: DetectReply;
      try {
        reply = await detect(await human, request);
      } catch (error) {
        reply = { id: request.id, ok: false, error: (error as Error).message ?? String(error) };
      }
      port.postMessage(reply);
    });
  });
}

main();
