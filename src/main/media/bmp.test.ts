import { describe, expect, it } from 'vitest';
import { encodeBmp } from '../../../test/fixtures/datasets';
import { decodeBmp } from './bmp';

/** A 5×3 RGB image (odd width: rows are padded) whose pixel (x, y) is (x*40, y*80, 200). */
function gradient(width = 5, height = 3): Uint8Array {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels.set([x * 40, y * 80, 200], (y * width + x) * 3);
  }
  return pixels;
}

describe('BMP decoder', () => {
  for (const bits of [24, 32] as const) {
    for (const topDown of [false, true]) {
      it(`reads ${bits}-bit ${topDown ? 'top-down' : 'bottom-up'} pixels in place`, () => {
        const frame = decodeBmp(encodeBmp(gradient(), 5, 3, bits, topDown), false);
        expect(frame).toMatchObject({ width: 5, height: 3, channels: 3 });
        expect([...frame.data]).toEqual([...gradient()]);
      });
    }
  }

  it('reads 8-bit palette images and converts to grey on request', () => {
    const grey = Uint8Array.from({ length: 15 }, (_, i) => i * 17);
    const frame = decodeBmp(encodeBmp(grey, 5, 3, 8), true);
    expect(frame.channels).toBe(1);
    expect([...frame.data]).toEqual([...grey]);
    const rgb = decodeBmp(encodeBmp(grey, 5, 3, 8), false);
    expect([...rgb.data.subarray(0, 6)]).toEqual([0, 0, 0, 17, 17, 17]);
  });

  it('converts colour to grey with Rec. 601 weights', () => {
    const frame = decodeBmp(encodeBmp(new Uint8Array([255, 0, 0, 0, 255, 0]), 2, 1, 24), true);
    expect([...frame.data]).toEqual([77, 149]);
  });

  it('names what is wrong: truncated, compressed, not a BMP', () => {
    const whole = encodeBmp(gradient(), 5, 3, 24);
    expect(() => decodeBmp(whole.subarray(0, whole.length - 10), false, 'x.bmp')).toThrow(
      /x\.bmp: truncated/,
    );
    const rle = Buffer.from(whole);
    rle.writeUInt32LE(1, 30);
    expect(() => decodeBmp(rle, false)).toThrow(/compressed BMP/);
    expect(() =>
      decodeBmp(
        Buffer.from('GIF89a........................................................'),
        false,
      ),
    ).toThrow(/not a BMP/);
  });
});
