"""LOSO wall time per preset on this CPU.

For each preset: time a few real training steps (full batch, the preset's network and augmentation)
on threads/workers threads → estimate = steps per fold × step time × folds / workers (68 folds of
about 435 training maps each; the trainer's --workers runs folds in parallel processes).
For `cpu`, also print the wall time of the full LOSO run recorded in the shipped model's card
(measured when that run was made, with its thread and worker counts).

usage: /usr/bin/python3 bench/model/loso_time.py --threads N [--workers W (default N)] [--steps K] [--card models/ahmsa-net.card.json]
"""
from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

import common  # noqa: F401  (puts the repo on sys.path)
from models.ahmsa.presets import get_preset
from models.ahmsa.training import train_single

FOLDS = 68
TRAINING_MAPS = 435  # 442 maps minus an average held-out subject


def seconds_per_step(preset_name: str, steps: int) -> float:
    preset = get_preset(preset_name)
    batch = min(preset.training.batch_size, TRAINING_MAPS)
    rng = np.random.default_rng(0)
    maps = (rng.random((batch * steps, 3, 28, 28)) * 255).astype(np.float32)
    labels = rng.integers(0, 3, batch * steps)
    one_epoch = replace(preset, training=replace(preset.training, epochs=1, ensemble_seeds=1, warmup_epochs=0))
    train_single(maps[:batch], labels[:batch], one_epoch, seed=0)  # warm-up
    started = time.perf_counter()
    train_single(maps, labels, one_epoch, seed=0)  # `steps` steps of one batch each
    return (time.perf_counter() - started) / steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--card", type=Path, default=None, help="model card whose loso section gives a measured time")
    arguments = parser.parse_args()
    workers = arguments.workers or arguments.threads
    torch.set_num_threads(max(1, arguments.threads // workers))
    report = {"threads": arguments.threads, "workers": workers, "presets": {}}
    for name in ("cpu", "paper"):
        training = get_preset(name).training
        step = seconds_per_step(name, arguments.steps)
        steps_per_fold = math.ceil(TRAINING_MAPS / min(training.batch_size, TRAINING_MAPS)) * training.epochs * training.ensemble_seeds
        report["presets"][name] = {
            "secondsPerStep": step, "stepsPerFold": steps_per_fold,
            "estimatedMinutes": step * steps_per_fold * FOLDS / workers / 60.0,
        }
    card = json.loads(arguments.card.read_text()) if arguments.card and arguments.card.is_file() else {}
    loso = card.get("loso")
    if loso and card["preset"]["name"] == "cpu":
        report["presets"]["cpu"]["measuredMinutes"] = loso["minutes"]
        report["presets"]["cpu"]["measuredWith"] = {"threads": loso.get("threads"), "workers": loso.get("workers"),
                                                    "folds": loso["folds"], "command": loso["command"]}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
