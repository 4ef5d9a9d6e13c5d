import sharp from 'sharp';
import { rowNormalised, type ClassMetrics } from '../../shared/metrics';

export interface MatrixImageOptions {
  /** Show row-normalised shares (recall per cell) instead of counts. */
  normalised?: boolean;
  title?: string;
}

const CELL = 110;
const LEFT = 150;
const TOP = 90;

/**
 * The confusion matrix as an SVG (rows truth, columns predicted; shade by the row share), with
 * UF1 / UAR under it. Plain shapes and text, rendered to PNG by sharp (librsvg).
 */
export function confusionMatrixSvg(
  metrics: ClassMetrics,
  options: MatrixImageOptions = {},
): string {
  const classes = metrics.classes;
  const shares = rowNormalised(metrics.matrix);
  const size = classes.length * CELL;
  const width = LEFT + size + 30;
  const height = TOP + size + 80;
  const cells = metrics.matrix.flatMap((row, t) =>
    row.map((count, p) => {
      const share = shares[t][p];
      const x = LEFT + p * CELL;
      const y = TOP + t * CELL;
      const shade = Math.round(255 - share * 200);
      const text = options.normalised ? `${(share * 100).toFixed(1)}%` : String(count);
      const ink = share > 0.55 ? '#ffffff' : '#111111';
      return (
        `<rect x="${x}" y="${y}" width="${CELL}" height="${CELL}" fill="rgb(${shade},${shade + Math.round(share * 20)},255)" stroke="#555"/>` +
        `<text x="${x + CELL / 2}" y="${y + CELL / 2 + 8}" font-size="24" text-anchor="middle" fill="${ink}">${text}</text>`
      );
    }),
  );
  const columnLabels = classes.map(
    (name, p) =>
      `<text x="${LEFT + p * CELL + CELL / 2}" y="${TOP - 12}" font-size="16" text-anchor="middle">${escapeXml(name)}</text>`,
  );
  const rowLabels = classes.map(
    (name, t) =>
      `<text x="${LEFT - 12}" y="${TOP + t * CELL + CELL / 2 + 6}" font-size="16" text-anchor="end">${escapeXml(name)}</text>`,
  );
  const figure = (value: number | null) => (value === null ? '—' : value.toFixed(4));
  const title = escapeXml(
    options.title ?? `Confusion matrix (${options.normalised ? 'row-normalised' : 'counts'})`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="30" font-size="18" text-anchor="middle" font-weight="bold">${title}</text>`,
    `<text x="${LEFT + size / 2}" y="${TOP - 40}" font-size="14" text-anchor="middle" fill="#444">predicted</text>`,
    `<text x="20" y="${TOP + size / 2}" font-size="14" fill="#444" transform="rotate(-90 20 ${TOP + size / 2})" text-anchor="middle">truth</text>`,
    ...columnLabels,
    ...rowLabels,
    ...cells,
    `<text x="${LEFT + size / 2}" y="${TOP + size + 40}" font-size="16" text-anchor="middle">UF1 ${figure(metrics.uf1)} · UAR ${figure(metrics.uar)} · ${metrics.count} clips</text>`,
    '</svg>',
  ].join('\n');
}

export async function confusionMatrixPng(
  metrics: ClassMetrics,
  options: MatrixImageOptions = {},
): Promise<Buffer> {
  return sharp(Buffer.from(confusionMatrixSvg(metrics, options)))
    .png()
    .toBuffer();
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
