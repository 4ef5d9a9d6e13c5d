"""Would per-class decision offsets, tuned without the test subject, raise a LOSO run's UF1?

Argmax of the probabilities is not the UF1-optimal rule. For each held-out subject this picks the
offsets (added to the log-probabilities of positive and surprise, a grid of -1..1 in steps of 0.1)
that give the best UF1 on the other subjects' pooled LOSO predictions, and applies them to that
subject's predictions. No subject's labels choose its own offsets.

  /usr/bin/python3 bench/model/class_offsets.py models/runs/<loso run>/predictions.csv [...]
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

import common  # noqa: F401  (puts the repo on sys.path)
from models.ahmsa.metrics import uf1_uar

OFFSETS = [np.array([0.0, a, b]) for a in np.linspace(-1, 1, 21) for b in np.linspace(-1, 1, 21)]


def read_predictions(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    probabilities = np.array([[float(r[f"p_{c}"]) for c in ("negative", "positive", "surprise")] for r in rows])
    labels = np.array([int(r["label"]) for r in rows])
    subjects = np.array([r["subject"] for r in rows])
    return np.log(probabilities + 1e-9), labels, subjects


def offsets_tuned_without_each_subject(scores: np.ndarray, labels: np.ndarray, subjects: np.ndarray) -> np.ndarray:
    predicted = np.empty_like(labels)
    for subject in np.unique(subjects):
        others = subjects != subject
        best = max(OFFSETS, key=lambda o: uf1_uar(labels[others], (scores[others] + o).argmax(1))[0])
        predicted[~others] = (scores[~others] + best).argmax(1)
    return predicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("predictions", nargs="+", type=Path)
    for path in parser.parse_args().predictions:
        scores, labels, subjects = read_predictions(path)
        before = uf1_uar(labels, scores.argmax(1))
        after = uf1_uar(labels, offsets_tuned_without_each_subject(scores, labels, subjects))
        print(f"{path}: argmax UF1 {before[0]:.4f} / UAR {before[1]:.4f}; "
              f"offsets UF1 {after[0]:.4f} / UAR {after[1]:.4f} ({after[0] - before[0]:+.4f})")


if __name__ == "__main__":
    main()
