import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { projectFile } from '../../app/paths';
import type { ThreeClass } from '../../../shared/domain';
import { DEMO_MOTIONS, type DemoMotion } from './motions';
import { gaussianNoise, seededRandom } from '../../../shared/random';

/**
 * The built-in demo dataset: 200 fps image sequences made by warping a real (public-domain) face
 * photo with smooth local AU-like motions that ramp onset → apex → offset. Each clip's timing and
 * label are known and written to mer-demo.json beside the frames.
 */
export interface DemoOptions {
  subjects: number;
  clipsPerSubject: number;
  width: number;
  height: number;
  framesPerClip: number;
  fps: number;
  seed: number;
}

export const DEFAULT_DEMO: DemoOptions = {
  subjects: 4,
  clipsPerSubject: 3,
  width: 640,
  height: 480,
  framesPerClip: 60,
  fps: 200,
  seed: 7,
};

export interface DemoClipTruth {
  subject: string;
  clip: string;
  onset: number;
  apex: number;
  offset: number;
  emotion: string;
  threeClass: ThreeClass;
  aus: string;
  /** Peak displacement in pixels at the apex. */
  amplitude: number;
}

export interface DemoManifest {
  format: 'mer-demo';
  /** DEMO_VERSION of the generator that wrote it. */
  version: number;
  fps: number;
  width: number;
  height: number;
  /** Frame files are img<number>.jpg starting at this number; onset/apex/offset are indexes. */
  firstFrameNumber: number;
  clips: DemoClipTruth[];
}

export const DEMO_MANIFEST = 'mer-demo.json';
/** Bumped when the frames change (2: the motion follows each subject's face), so ensureDemoDataset remakes them. */
export const DEMO_VERSION = 2;
const FIRST_FRAME_NUMBER = 1;
/** The face region of assets/astronaut.png (512×512) that fills a demo frame. */
const FACE_REGION = { left: 100, top: 0, width: 260, height: 195 };

export async function generateDemoDataset(
  outDir: string,
  options: Partial<DemoOptions> = {},
  onProgress?: (done: number, total: number) => void,
): Promise<DemoManifest> {
  const settings = { ...DEFAULT_DEMO, ...options };
  validate(settings);
  const base = await loadBaseFace(settings.width, settings.height);
  const random = seededRandom(settings.seed);
  const manifest: DemoManifest = {
    format: 'mer-demo',
    version: DEMO_VERSION,
    fps: settings.fps,
    width: settings.width,
    height: settings.height,
    firstFrameNumber: FIRST_FRAME_NUMBER,
    clips: [],
  };
  await mkdir(outDir, { recursive: true });
  const total = settings.subjects * settings.clipsPerSubject;
  for (let s = 0; s < settings.subjects; s++) {
    const subject = `sub${String(s + 1).padStart(2, '0')}`;
    const look = subjectLook(random);
    for (let c = 0; c < settings.clipsPerSubject; c++) {
      const motion = DEMO_MOTIONS[(s + c) % DEMO_MOTIONS.length];
      const truth = clipTiming(
        subject,
        `EP${String(c + 1).padStart(2, '0')}`,
        motion,
        settings,
        random,
      );
      await writeClip(
        path.join(outDir, subject, truth.clip),
        base,
        motion,
        truth,
        look,
        settings,
        random,
      );
      manifest.clips.push(truth);
      onProgress?.(manifest.clips.length, total);
    }
  }
  const manifestPath = path.join(outDir, DEMO_MANIFEST);
  await writeFile(`${manifestPath}.tmp`, JSON.stringify(manifest, null, 2));
  await rename(`${manifestPath}.tmp`, manifestPath);
  return manifest;
}

function validate(options: DemoOptions): void {
  const { subjects, clipsPerSubject, width, height, framesPerClip } = options;
  const whole = (value: number, min: number, max: number) =>
    Number.isInteger(value) && value >= min && value <= max;
  if (!whole(subjects, 1, 500)) throw new RangeError('subjects must be a whole number 1–500');
  if (!whole(clipsPerSubject, 1, 200)) throw new RangeError('clips per subject must be 1–200');
  if (!whole(width, 64, 4096) || !whole(height, 64, 4096)) {
    throw new RangeError('frame size must be between 64×64 and 4096×4096');
  }
  if (!whole(framesPerClip, 20, 2000)) throw new RangeError('frames per clip must be 20–2000');
}

async function loadBaseFace(width: number, height: number): Promise<Float32Array> {
  const { data } = await sharp(projectFile('assets/astronaut.png'))
    .extract(FACE_REGION)
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return Float32Array.from(data);
}

interface SubjectLook {
  shiftX: number;
  shiftY: number;
  gain: number;
  offset: number;
}

function subjectLook(random: () => number): SubjectLook {
  return {
    shiftX: (random() - 0.5) * 30,
    shiftY: (random() - 0.5) * 20,
    gain: 0.85 + random() * 0.3,
    offset: (random() - 0.5) * 20,
  };
}

function clipTiming(
  subject: string,
  clip: string,
  motion: DemoMotion,
  options: DemoOptions,
  random: () => number,
): DemoClipTruth {
  const n = options.framesPerClip;
  const onset = Math.round(n * (0.1 + random() * 0.1));
  const apex = onset + Math.round(n * (0.25 + random() * 0.15));
  const offset = Math.min(n - 2, apex + Math.round(n * (0.3 + random() * 0.1)));
  const amplitude = (1.5 + random() * 1.5) * (options.width / 640);
  return { subject, clip, onset, apex, offset, amplitude, ...pick(motion) };
}

function pick(motion: DemoMotion) {
  return { emotion: motion.emotion, threeClass: motion.threeClass, aus: motion.aus };
}

/** Motion strength at frame t: smooth rise onset → apex, smooth fall apex → offset. */
export function envelope(
  t: number,
  truth: Pick<DemoClipTruth, 'onset' | 'apex' | 'offset'>,
): number {
  const smooth = (x: number) => x * x * (3 - 2 * x);
  if (t <= truth.onset || t >= truth.offset) return 0;
  if (t <= truth.apex) return smooth((t - truth.onset) / (truth.apex - truth.onset));
  return smooth((truth.offset - t) / (truth.offset - truth.apex));
}

async function writeClip(
  dir: string,
  base: Float32Array,
  motion: DemoMotion,
  truth: DemoClipTruth,
  look: SubjectLook,
  options: DemoOptions,
  random: () => number,
): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const { width, height } = options;
  const subjectFace = applyLook(base, look, width, height);
  const field = displacementField(motion, width, height, look);
  const grain = noiseTable(random);
  for (let t = 0; t < options.framesPerClip; t++) {
    const strength = envelope(t, truth) * truth.amplitude;
    const pixels = renderFrame(subjectFace, field, strength, width, height, grain, random);
    const file = path.join(dir, `img${t + FIRST_FRAME_NUMBER}.jpg`);
    await sharp(pixels, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 92 })
      .toFile(file);
  }
}

/** The subject's own look: the face shifted in the frame, with its own gain and brightness. */
function applyLook(base: Float32Array, look: SubjectLook, width: number, height: number) {
  const out = new Float32Array(base.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const value = bilinear(base, width, height, x - look.shiftX, y - look.shiftY, c);
        out[(y * width + x) * 3 + c] = value * look.gain + look.offset;
      }
    }
  }
  return out;
}

interface DisplacementField {
  dx: Float32Array;
  dy: Float32Array;
  /** Pixels the motion reaches; every other pixel is copied unwarped. */
  moving: Uint32Array;
}

/**
 * Per-pixel displacement at unit strength: the sum of the motion's Gaussian bumps, placed on the
 * face where the subject's look shifted it.
 */
function displacementField(
  motion: DemoMotion,
  width: number,
  height: number,
  look: SubjectLook,
): DisplacementField {
  const dx = new Float32Array(width * height);
  const dy = new Float32Array(width * height);
  const sx = width / 640;
  const sy = height / 480;
  for (const bump of motion.bumps) {
    const cx = bump.x * sx + look.shiftX;
    const cy = bump.y * sy + look.shiftY;
    const r2 = (bump.radius * sx) ** 2;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const weight = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r2));
        if (weight < 1e-4) continue;
        dx[y * width + x] += bump.dx * weight;
        dy[y * width + x] += bump.dy * weight;
      }
    }
  }
  const moving: number[] = [];
  for (let i = 0; i < dx.length; i++) if (dx[i] !== 0 || dy[i] !== 0) moving.push(i);
  return { dx, dy, moving: Uint32Array.from(moving) };
}

const NOISE_SIZE = 1 << 16;

/** Gaussian sensor grain (σ 1.5 grey levels), drawn once and read from a random start per frame. */
function noiseTable(random: () => number): Float32Array {
  const draw = gaussianNoise(random);
  return Float32Array.from({ length: NOISE_SIZE }, () => draw() * 1.5);
}

function renderFrame(
  face: Float32Array,
  field: DisplacementField,
  strength: number,
  width: number,
  height: number,
  grain: Float32Array,
  random: () => number,
): Uint8Array {
  const frame = Float32Array.from(face);
  if (strength > 0) {
    for (const i of field.moving) {
      // Backward warp: the pixel shown at x came from x − d(x).
      const srcX = (i % width) - strength * field.dx[i];
      const srcY = Math.floor(i / width) - strength * field.dy[i];
      for (let c = 0; c < 3; c++) frame[i * 3 + c] = bilinear(face, width, height, srcX, srcY, c);
    }
  }
  const out = new Uint8Array(frame.length);
  const start = Math.floor(random() * NOISE_SIZE);
  for (let p = 0; p < width * height; p++) {
    const noise = grain[(start + p) & (NOISE_SIZE - 1)];
    for (let c = 0; c < 3; c++) {
      const value = frame[p * 3 + c] + noise;
      out[p * 3 + c] = value < 0 ? 0 : value > 255 ? 255 : value;
    }
  }
  return out;
}

function bilinear(
  image: Float32Array,
  width: number,
  height: number,
  x: number,
  y: number,
  channel: number,
): number {
  const cx = Math.min(Math.max(x, 0), width - 1);
  const cy = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const fx = cx - x0;
  const fy = cy - y0;
  const top =
    image[(y0 * width + x0) * 3 + channel] * (1 - fx) + image[(y0 * width + x1) * 3 + channel] * fx;
  const bottom =
    image[(y1 * width + x0) * 3 + channel] * (1 - fx) + image[(y1 * width + x1) * 3 + channel] * fx;
  return top * (1 - fy) + bottom * fy;
}
