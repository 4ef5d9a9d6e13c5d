"""PyTorch eager inference throughput of the shipped architecture: samples/s per batch size, JSON on stdout.

usage: /usr/bin/python3 bench/model/torch_inference.py --threads N --batches 1,256 --seconds S
"""
from __future__ import annotations

import argparse
import json
import time

import torch

from common import shipped_architecture


def samples_per_second(model: torch.nn.Module, batch: int, seconds: float) -> float:
    flow = torch.rand(batch, 3, 28, 28) * 255
    with torch.no_grad():
        for _ in range(3):
            model(flow)
        runs, started = 0, time.perf_counter()
        while True:
            model(flow)
            runs += 1
            elapsed = time.perf_counter() - started
            if elapsed >= seconds and runs >= 3:
                return runs * batch / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--batches", default="1,256")
    parser.add_argument("--seconds", type=float, default=3.0)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    model = shipped_architecture()
    results = {str(b): samples_per_second(model, int(b), arguments.seconds) for b in arguments.batches.split(",")}
    print(json.dumps({"runtime": f"pytorch {torch.__version__} eager", "threads": arguments.threads,
                      "samplesPerSecond": results}))


if __name__ == "__main__":
    main()
