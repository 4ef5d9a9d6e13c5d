import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { THREE_CLASSES, type ThreeClass } from '../../shared/domain';
import { MAP_CHANNELS, MAP_SIZE } from '../model/session';
import { parseCsv } from '../report/csv';

/**
 * Precomputed 28×28 maps (HTNet-style, like ../shared/data/3db/flow): PNG RGB = u, v, strain
 * (8-bit values are fed as 0..255; the model normalises inside its graph), or raw float32 files
 * (.f32, 3×28×28 little-endian, channel-major) — and an optional labels CSV in the 3db layout
 * (dataset,sub,filename_o,label; map name <sub>_<filename_o>.png).
 */
export interface FlowMap {
  file: string;
  /** File name without extension: the key labels are matched on. */
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
const MAP_EXTENSIONS = new Set(['.png', '.f32']);

/** Reads every map of a folder; files of the wrong size or channels are named, not fatal. */
export async function readFlowMaps(
  dir: string,
): Promise<{ maps: FlowMap[]; problems: MapProblem[] }> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      throw new Error(`${dir}: cannot read the maps folder (${error.code ?? error.message})`);
    },
  );
  const files = entries
    .filter((entry) => entry.isFile() && MAP_EXTENSIONS.has(path.extname(entry.name).toLowerCase()))
    .map((entry) => entry.name)
    .sort();
  const maps: FlowMap[] = [];
  const problems: MapProblem[] = [];
  for (const name of files) {
    const file = path.join(dir, name);
    try {
      maps.push({ file, name: path.parse(name).name, maps: await readMap(file) });
    } catch (error) {
      problems.push({ file, message: (error as Error).message });
    }
  }
  return { maps, problems };
}

async function readMap(file: string): Promise<Float32Array> {
  const bytes = await readFile(file);
  if (path.extname(file).toLowerCase() === '.f32') {
    if (bytes.length !== SAMPLE_LENGTH * 4) {
      throw new Error(
        `${bytes.length} bytes; a .f32 map holds 3×28×28 float32 values (${SAMPLE_LENGTH * 4} bytes)`,
      );
    }
    const values = new Float32Array(SAMPLE_LENGTH);
    for (let i = 0; i < SAMPLE_LENGTH; i++) values[i] = bytes.readFloatLE(i * 4);
    if (values.some((value) => !Number.isFinite(value)))
      throw new Error('holds NaN or infinite values');
    return values;
  }
  let decoded;
  let channels: number;
  try {
    // The file's own channel count: decoding to raw would expand grey to RGB.
    channels = (await sharp(bytes).metadata()).channels ?? 0;
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
  return values;
}

/** Reads a 3db-style labels CSV by header name. Bad rows are reported with their line. */
export async function readMapLabels(
  file: string,
): Promise<{ labels: MapLabel[]; problems: MapProblem[] }> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${file}: cannot read the labels (${error.code ?? error.message})`);
  });
  const rows = parseCsv(text).filter((row) => row.some((cell) => cell.trim() !== ''));
  if (rows.length === 0) throw new Error(`${file}: the labels file is empty`);
  const header = rows[0].map((cell) => cell.trim().toLowerCase());
  const column = (...names: string[]) => header.findIndex((cell) => names.includes(cell));
  const columns = {
    dataset: column('dataset', 'db'),
    subject: column('sub', 'subject'),
    clip: column('filename_o', 'clip', 'filename'),
    label: column('label'),
  };
  const missing = Object.entries(columns)
    .filter(([, index]) => index < 0)
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new Error(
      `${file}: no ${missing.join(', ')} column; expected a header dataset,sub,filename_o,label (got ${rows[0].join(',')})`,
    );
  }
  const labels: MapLabel[] = [];
  const problems: MapProblem[] = [];
  rows.slice(1).forEach((row, i) => {
    const line = i + 2;
    const cell = (index: number) => (row[index] ?? '').trim();
    const label = parseLabel(cell(columns.label));
    if (label === null) {
      problems.push({
        file,
        message: `line ${line}: label ${JSON.stringify(cell(columns.label))} is not 0, 1, 2 or a class name`,
      });
      return;
    }
    labels.push({
      dataset: cell(columns.dataset),
      subject: cell(columns.subject),
      clip: cell(columns.clip),
      label,
      line,
    });
  });
  return { labels, problems };
}

function parseLabel(text: string): ThreeClass | null {
  if (/^[0-2]$/.test(text)) return THREE_CLASSES[Number(text)];
  const lower = text.toLowerCase();
  return (THREE_CLASSES as readonly string[]).includes(lower) ? (lower as ThreeClass) : null;
}

/** The map name a label row points at, as the 3db folder names them: <sub>_<filename_o>. */
export function mapNameOf(label: MapLabel): string {
  return `${label.subject}_${label.clip}`;
}
