"""Where OpenCV's DualTVL1 gains its accuracy over IPOL on the shared Middlebury pairs: AEE of its
defaults, without its median filter, and on input pre-smoothed like IPOL (Gaussian sigma 0.8).

usage: /usr/bin/python3 bench/flow/opencv_ablation.py [middlebury dir (default ../shared/data/middlebury)]
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

PAIRS = ("Grove2", "Hydrangea", "RubberWhale")
UNKNOWN = 1e9


def read_flo(path: Path) -> np.ndarray:
    with path.open("rb") as file:
        np.fromfile(file, np.float32, 1)
        width, height = np.fromfile(file, np.int32, 2)
        return np.fromfile(file, np.float32, 2 * width * height).reshape(height, width, 2)


def average_endpoint_error(flow: np.ndarray, truth: np.ndarray) -> float:
    known = (np.abs(truth[..., 0]) < UNKNOWN) & (np.abs(truth[..., 1]) < UNKNOWN)
    return float(np.sqrt(((flow - truth) ** 2).sum(-1))[known].mean())


def presmoothed(image: np.ndarray) -> np.ndarray:
    # float input is scaled by 255 inside OpenCV, so hand it [0, 1]
    return cv2.GaussianBlur(image.astype(np.float32), (0, 0), 0.8) / np.float32(255)


def main() -> None:
    default_dir = Path(__file__).resolve().parents[3] / "shared" / "data" / "middlebury"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default_dir
    variants: dict[str, tuple[int, Callable[[np.ndarray], np.ndarray]]] = {
        "defaults": (5, lambda image: image),
        "no median filter": (1, lambda image: image),
        "input smoothed, sigma 0.8": (5, presmoothed),
    }
    for name, (median, prepare) in variants.items():
        errors = []
        for pair in PAIRS:
            frame0 = cv2.imread(str(root / pair / "frame10.png"), cv2.IMREAD_GRAYSCALE)
            frame1 = cv2.imread(str(root / pair / "frame11.png"), cv2.IMREAD_GRAYSCALE)
            tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
            tvl1.setMedianFiltering(median)
            flow = tvl1.calc(prepare(frame0), prepare(frame1), None)
            errors.append(average_endpoint_error(flow, read_flo(root / pair / "flow10.flo")))
        per_pair = " ".join(f"{pair} {error:.3f}" for pair, error in zip(PAIRS, errors))
        print(f"{name:28s} mean AEE {np.mean(errors):.4f}  ({per_pair})", flush=True)


if __name__ == "__main__":
    main()
