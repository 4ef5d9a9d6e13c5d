import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { ThreeClass } from '../../shared/domain';
import { parseThreeClass, threeClassOfEmotion } from '../../shared/three-class';
import { subjectKey } from '../annotations/import/keys';
import { MAP_CHANNELS, MAP_SIZE } from '../model/session';
import { decodeText, parseCsv } from '../annotations/import/csv';

/**
 * Precomputed 28×28 maps (HTNet-style, like ../shared/data/3db/flow): PNG RGB = u, v, strain
 * (8-bit values are fed as 0..255; the model normalises inside its graph), or raw float32 files
 * (.f32, 3×28×28 little-endian, channel-major) — and an optional labels CSV: the 3db layout
 * (header dataset,sub,filename_o,label; map name <sub>_<filename_o>.png) or MEGC2019's headerless
 * ground truth (db,subject,clip,label, as in combined_3class_gt.csv).
 */
export interface FlowMap {
  file: string;
  /** Path below the maps folder without extension ('/'-separated): the key labels are matched on. */
  name: string;
  maps: Float32Array;
}

export interface MapProblem {
  file: string;
  message: string;
}

export interface MapLabel {
  dataset: string;
  subject: string;
  clip: string;
  label: ThreeClass;
  /** 1-based line in the labels file. */
  line: number;
}

const SAMPLE_LENGTH = MAP_CHANNELS * MAP_SIZE * MAP_SIZE;
const MAP_EXTENSIONS = new Set(['.png', '.f32', '.npy']);
/** Files a maps folder may hold that are not read as maps: named, not silently passed over. */
const NOT_MAPS: Record<string, string> = Object.fromEntries([
  ...['.jpg', '.jpeg', '.bmp', '.gif', '.tif', '.tiff', '.webp'].map((extension) => [
    extension,
    'not read: maps are PNG (lossless), .npy or .f32; a JPEG or other image would change the values',
  ]),
  ...['.npz', '.mat', '.pt', '.pth', '.pkl', '.h5'].map((extension) => [
    extension,
    'not read: an archive of arrays; save each map as its own .npy (or PNG)',
  ]),
]);

/** Subfolders read below the maps folder (per-subject folders, as some pipelines write). */
const MAX_DEPTH = 3;
/** Of files with one name, the one read: as the trainer (models/ahmsa/data.py) takes them. */
const EXTENSION_ORDER = ['.png', '.npy', '.f32'];

/**
 * Reads every map of a folder and its subfolders; files of the wrong size or channels are named,
 * not fatal. A map whose sidecar `<name>.json` (as `mer-studio input` writes) gives another
 * layout than the model's (`layout`, default whole-face) is named too: HTNet's region mosaic is
 * not a face.
 */
export async function readFlowMaps(
  dir: string,
  layout = 'whole-face',
): Promise<{ maps: FlowMap[]; problems: MapProblem[] }> {
  const files = await listFiles(dir);
  const extensionOf = (name: string) => path.extname(name).toLowerCase();
  const problems: MapProblem[] = files
    .filter((name) => NOT_MAPS[extensionOf(name)] !== undefined)
    .map((name) => ({ file: path.join(dir, name), message: NOT_MAPS[extensionOf(name)] }));
  const maps: FlowMap[] = [];
  for (const [name, variants] of mapFilesByName(files)) {
    const [chosen, ...others] = variants;
    for (const other of others) {
      problems.push({
        file: path.join(dir, other),
        message: `not read: ${path.basename(chosen)} has the same name and is read instead`,
      });
    }
    const file = path.join(dir, chosen);
    try {
      const stated = await sidecarLayout(path.join(dir, `${name}.json`));
      if (stated && firstWord(stated) !== firstWord(layout)) {
        throw new Error(
          `${path.basename(name)}.json says its layout is "${stated}"; the model reads ${layout} maps`,
        );
      }
      maps.push({ file, name, maps: await readMap(file) });
    } catch (error) {
      problems.push({ file, message: (error as Error).message });
    }
  }
  return { maps, problems };
}

/** Files below `dir` as '/'-separated relative paths, sorted. */
async function listFiles(dir: string, depth = 0): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      throw new Error(`${dir}: cannot read the maps folder (${error.code ?? error.message})`);
    },
  );
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.isFile() || entry.isSymbolicLink()) files.push(entry.name);
    else if (entry.isDirectory() && depth < MAX_DEPTH) {
      const below = await listFiles(path.join(dir, entry.name), depth + 1);
      files.push(...below.map((name) => `${entry.name}/${name}`));
    }
  }
  return files.sort();
}

/** Map files by name without extension, the preferred file first. */
function mapFilesByName(files: string[]): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const file of files) {
    const extension = path.extname(file).toLowerCase();
    if (!MAP_EXTENSIONS.has(extension)) continue;
    const name = file.slice(0, -extension.length);
    byName.set(name, [...(byName.get(name) ?? []), file]);
  }
  const rank = (file: string) => EXTENSION_ORDER.indexOf(path.extname(file).toLowerCase());
  for (const variants of byName.values()) variants.sort((a, b) => rank(a) - rank(b));
  return byName;
}

async function sidecarLayout(file: string): Promise<string | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const layout = (JSON.parse(text) as { layout?: unknown }).layout;
    return typeof layout === 'string' ? layout : null;
  } catch {
    return null; // another JSON file of the folder, not a map's header
  }
}

const firstWord = (text: string) => text.trim().split(/\s+/)[0].toLowerCase();

async function readMap(file: string): Promise<Float32Array> {
  const bytes = await readFile(file);
  if (path.extname(file).toLowerCase() === '.npy') return checkedValues(readNpyMap(bytes));
  if (path.extname(file).toLowerCase() === '.f32') {
    if (bytes.length !== SAMPLE_LENGTH * 4) {
      throw new Error(
        `${bytes.length} bytes; a .f32 map holds 3×28×28 float32 values (${SAMPLE_LENGTH * 4} bytes)`,
      );
    }
    const values = new Float32Array(SAMPLE_LENGTH);
    for (let i = 0; i < SAMPLE_LENGTH; i++) values[i] = bytes.readFloatLE(i * 4);
    return checkedValues(values);
  }
  let decoded;
  let channels: number;
  try {
    // The file's own channel count: decoding to raw would expand grey to RGB.
    const metadata = await sharp(bytes).metadata();
    if (metadata.format !== 'png') {
      throw new Error(`holds ${metadata.format ?? 'other'} data: a lossy image changes the values`);
    }
    channels = metadata.channels ?? 0;
    decoded = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new Error(`not a readable PNG (${(error as Error).message.split('\n')[0]})`, {
      cause: error,
    });
  }
  const { width, height } = decoded.info;
  if (width !== MAP_SIZE || height !== MAP_SIZE) {
    throw new Error(`${width}×${height} pixels; maps must be ${MAP_SIZE}×${MAP_SIZE}`);
  }
  if (channels !== MAP_CHANNELS || decoded.info.channels !== MAP_CHANNELS) {
    throw new Error(
      `${channels} channel${channels === 1 ? '' : 's'}; maps must be RGB (R = u, G = v, B = strain)`,
    );
  }
  const pixels = decoded.data;
  const values = new Float32Array(SAMPLE_LENGTH);
  const plane = MAP_SIZE * MAP_SIZE;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < MAP_CHANNELS; c++) values[c * plane + i] = pixels[i * MAP_CHANNELS + c];
  }
  return checkedValues(values);
}

function checkedValues(values: Float32Array): Float32Array {
  if (values.some((value) => !Number.isFinite(value)))
    throw new Error('holds NaN or infinite values');
  const plane = MAP_SIZE * MAP_SIZE;
  if (values.every((value, i) => value === values[i - (i % plane)]))
    throw new Error('every channel is constant: the map holds no motion to classify');
  return values;
}

type NpyRead = (view: DataView, at: number, little: boolean) => number;

/** NumPy's scalar kinds by kind letter and size: float16/32/64, (u)int8/16/32. */
const NPY_READERS: Record<string, NpyRead> = {
  f2: (view, at, little) => float16(view.getUint16(at, little)),
  f4: (view, at, little) => view.getFloat32(at, little),
  f8: (view, at, little) => view.getFloat64(at, little),
  u1: (view, at) => view.getUint8(at),
  u2: (view, at, little) => view.getUint16(at, little),
  u4: (view, at, little) => view.getUint32(at, little),
  i1: (view, at) => view.getInt8(at),
  i2: (view, at, little) => view.getInt16(at, little),
  i4: (view, at, little) => view.getInt32(at, little),
};

function float16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A NumPy .npy map, [3, 28, 28] or [28, 28, 3], as train reads them (models/ahmsa/data.py). */
function readNpyMap(bytes: Buffer): Float32Array {
  if (bytes.subarray(0, 6).toString('latin1') !== '\x93NUMPY') throw new Error('not a .npy file');
  const version = bytes[6];
  const headerLength = version === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const dataStart = (version === 1 ? 10 : 12) + headerLength;
  const header = bytes.subarray(version === 1 ? 10 : 12, dataStart).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? '?';
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .filter((part) => part.trim() !== '')
    .map(Number);
  const type = /^([<>|=])([fiu]\d)$/.exec(descr);
  const read = type ? NPY_READERS[type[2]] : undefined;
  if (!type || !read) throw new Error(`.npy of type ${descr}; maps are float or integer numbers`);
  const little = type[1] !== '>';
  const size = Number(type[2].slice(1));
  const fortran = /'fortran_order':\s*True/.test(header);
  const channelsLast = shape.join() === `${MAP_SIZE},${MAP_SIZE},${MAP_CHANNELS}`;
  if (!channelsLast && shape.join() !== `${MAP_CHANNELS},${MAP_SIZE},${MAP_SIZE}`) {
    throw new Error(`.npy of shape (${shape.join(', ')}); maps are (3, 28, 28) or (28, 28, 3)`);
  }
  if (bytes.length < dataStart + SAMPLE_LENGTH * size) throw new Error('.npy cut short');
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart);
  const values = new Float32Array(SAMPLE_LENGTH);
  const plane = MAP_SIZE * MAP_SIZE;
  for (let i = 0; i < SAMPLE_LENGTH; i++) {
    const c = fortran ? cOrderIndex(i, shape) : i;
    const target = channelsLast ? (c % MAP_CHANNELS) * plane + Math.floor(c / MAP_CHANNELS) : c;
    values[target] = read(view, i * size, little);
  }
  return values;
}

/** Where the i-th value of a Fortran-order (column-major) array sits in C (row-major) order. */
function cOrderIndex(i: number, [d0, d1, d2]: number[]): number {
  const a = i % d0;
  const b = Math.floor(i / d0) % d1;
  const c = Math.floor(i / (d0 * d1));
  return (a * d1 + b) * d2 + c;
}

/** MEGC2019's ground-truth files have no header: db, subject, clip, label. */
const HEADERLESS_COLUMNS = { dataset: 0, subject: 1, clip: 2, label: 3 };

/**
 * Reads map labels: a CSV with a header (dataset|db optional, sub|subject, filename_o|clip|filename|file,
 * label), or MEGC2019's headerless db,subject,clip,label. Bad rows are reported with their line.
 */
export async function readMapLabels(
  file: string,
): Promise<{ labels: MapLabel[]; problems: MapProblem[] }> {
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${file}: cannot read the labels (${error.code ?? error.message})`);
  });
  const { text } = decodeText(bytes, file); // UTF-8 with or without BOM, UTF-16 (Excel), Latin-1
  const rows = parseCsv(text).filter((row) => row.some((cell) => cell.trim() !== ''));
  if (rows.length === 0) throw new Error(`${file}: the labels file is empty`);
  const headerless = rows[0].length === 4 && parseLabel(rows[0][3].trim()) !== null;
  const columns = headerless ? HEADERLESS_COLUMNS : headerColumns(file, rows[0]);
  const labels: MapLabel[] = [];
  const problems: MapProblem[] = [];
  const first = headerless ? 0 : 1;
  rows.slice(first).forEach((row, i) => {
    const line = i + first + 1;
    const cell = (index: number) => (row[index] ?? '').trim();
    const label = parseLabel(cell(columns.label));
    if (label === null) {
      problems.push({
        file,
        message: `line ${line}: ${labelProblem(cell(columns.label))}`,
      });
      return;
    }
    labels.push({
      dataset: columns.dataset >= 0 ? cell(columns.dataset) : 'all',
      subject: cell(columns.subject),
      clip: withoutMapExtension(cell(columns.clip)),
      label,
      line,
    });
  });
  return { labels, problems };
}

function headerColumns(
  file: string,
  header: string[],
): Record<keyof typeof HEADERLESS_COLUMNS, number> {
  const names = header.map((cell) => cell.trim().toLowerCase());
  const column = (...candidates: string[]) => names.findIndex((cell) => candidates.includes(cell));
  const columns = {
    dataset: column('dataset', 'db'),
    subject: column('sub', 'subject'),
    clip: column('filename_o', 'clip', 'filename', 'file', 'path', 'map'),
    label: column('label'),
  };
  const missing = Object.entries(columns)
    .filter(([name, index]) => index < 0 && name !== 'dataset')
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new Error(
      `${file}: no ${missing.join(', ')} column; expected a header sub,filename_o,label (dataset optional) ` +
        `or MEGC2019's headerless db,subject,clip,label (got ${header.join(',')})`,
    );
  }
  return columns;
}

/** A file column may name the map with its extension and folder (sub01/sub01_EP02_01f.png). */
function withoutMapExtension(name: string): string {
  const extension = path.extname(name);
  const bare = MAP_EXTENSIONS.has(extension.toLowerCase())
    ? name.slice(0, -extension.length)
    : name;
  return bare.replaceAll('\\', '/');
}

function parseLabel(text: string): ThreeClass | null {
  return parseThreeClass(text);
}

/** What a label that is not a class says, with the composite's mapping for an emotion word. */
function labelProblem(text: string): string {
  const mapped = threeClassOfEmotion(text);
  const hint = mapped
    ? ` (an emotion: the composite's 3-class label for ${text.toLowerCase()} is ${mapped}; write that)`
    : text.toLowerCase() === 'others'
      ? ' ("others" is not in the 3-class task)'
      : '';
  return `label ${JSON.stringify(text)} is not 0, 1, 2 or a class name${hint}`;
}

/**
 * Finds the map a label row points at, among map names (file names without extension): the 3db
 * name <subject>_<clip>, else <clip>, else the one map named <…_subject>_<clip> with the subject
 * spelled differently (MEGC2019's files write SAMM subject 006 as 6, while the maps keep
 * 006_006_1_2). A map of another subject is never taken: CASME II clip names repeat across
 * subjects. Undefined when none or several match.
 */
export function mapMatcher(names: Iterable<string>): (label: MapLabel) => string | undefined {
  const exact = new Set(names);
  const bySuffix = new Map<string, string[]>();
  for (const name of exact) {
    for (const at of separatorsOf(name)) {
      const suffix = name.slice(at + 1);
      const list = bySuffix.get(suffix) ?? [];
      list.push(name);
      bySuffix.set(suffix, list);
    }
  }
  return (label) => {
    const direct = [`${label.subject}_${label.clip}`, label.clip].find((name) => exact.has(name));
    if (direct) return direct;
    const candidates = (bySuffix.get(label.clip) ?? []).filter((name) =>
      namesSubject(name.slice(0, -label.clip.length - 1), label.subject),
    );
    return candidates.length === 1 ? candidates[0] : undefined;
  };
}

/** Where a map name splits into prefix and clip: at '_' and at folder separators. */
function separatorsOf(name: string): number[] {
  return [...name].flatMap((char, at) => (char === '_' || char === '/' ? [at] : []));
}

/** Whether a map name's part before the clip ends in the subject (006 is 6; sub09 is not sub02). */
function namesSubject(prefix: string, subject: string): boolean {
  if (subject === '') return true; // nothing to tell subjects apart by
  const last = prefix.slice(Math.max(prefix.lastIndexOf('_'), prefix.lastIndexOf('/')) + 1);
  return subjectKey(last) === subjectKey(subject);
}

/**
 * Each map's label. A map labelled twice alike keeps it; labelled twice differently it is left
 * unscored (its truth is unknown) and both lines are named.
 */
export function matchLabelsToMaps(
  labels: readonly MapLabel[],
  mapNames: readonly string[],
  dir: string,
): { labelOf: Map<string, MapLabel>; problems: string[] } {
  const mapFor = mapMatcher(mapNames);
  const labelOf = new Map<string, MapLabel>();
  const conflicting = new Set<string>();
  const problems: string[] = [];
  for (const label of labels) {
    const name = mapFor(label);
    const earlier = name === undefined ? undefined : labelOf.get(name);
    if (name === undefined) {
      problems.push(`line ${label.line}: no map ${label.subject}_${label.clip}.png in ${dir}`);
    } else if (earlier && earlier.label !== label.label) {
      problems.push(
        `line ${label.line}: labels map ${name} ${label.label}, line ${earlier.line} ` +
          `${earlier.label}; the map is left unscored`,
      );
      conflicting.add(name);
    } else if (!earlier) {
      labelOf.set(name, label);
    }
  }
  for (const name of conflicting) labelOf.delete(name);
  return { labelOf, problems };
}
