"""OpenCV DualTVL1 (defaults) on float32 grey frames, for bench/flow/run.ts.

Reads a JSON job from argv[1]: {"threads": [1, 2], "repeats": 1, "pairs": [{"name", "frame0",
"frame1", "width", "height", "out"}]} where frames are raw little-endian float32 files of grey
levels 0..255 (the same input our addon gets). Writes each
flow as raw float32 (u, v interleaved) to out with the thread count inserted, and prints one JSON
line per pair and thread count: {"name", "threads", "seconds"} (best of `repeats`).
"""
import json
import sys
import time

import cv2
import numpy as np


def load(path, width, height):
    # OpenCV multiplies CV_32F input by 255 (it expects [0, 1]); the frames here are 0..255 grey.
    return np.fromfile(path, dtype="<f4").reshape(height, width) / np.float32(255)


def main():
    job = json.load(open(sys.argv[1]))
    for threads in job["threads"]:
        cv2.setNumThreads(threads)
        for pair in job["pairs"]:
            frame0 = load(pair["frame0"], pair["width"], pair["height"])
            frame1 = load(pair["frame1"], pair["width"], pair["height"])
            best = float("inf")
            flow = None
            for _ in range(job["repeats"]):
                tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
                started = time.perf_counter()
                flow = tvl1.calc(frame0, frame1, None)
                best = min(best, time.perf_counter() - started)
            flow.astype("<f4").tofile(pair["out"].replace("{threads}", str(threads)))
            print(json.dumps({"name": pair["name"], "threads": threads, "seconds": best}), flush=True)


if __name__ == "__main__":
    main()
