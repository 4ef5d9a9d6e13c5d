"""A linear reference for the LOSO figures: how much does AHMSA-Net add over a linear model?

Multinomial logistic regression (L-BFGS, L2 penalty, class-balanced) on the same in-graph
normalised maps, average-pooled to a coarse grid and standardised with the training subjects'
statistics; trained on each fold's maps and their mirror images, predicting the mean of a map and
its mirror, the same LOSO folds and pooled metrics as the trainer.

  /usr/bin/python3 bench/model/linear_baseline.py --flow-maps DIR --labels CSV [--pool 4 7] [--penalty 0.1 1]

Every (pool, penalty) pair is scored on the test folds: the best of several is an optimistic
figure for the linear model, never an honest estimate.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

import common  # noqa: F401  (puts the repo on sys.path)
from models.ahmsa.augment import mirror
from models.ahmsa.data import NUM_CLASSES, load_dataset
from models.ahmsa.folds import person_folds
from models.ahmsa.metrics import summarise
from models.ahmsa.network import normalise_per_sample
from models.ahmsa.training import class_weights


def pooled_features(maps: torch.Tensor, pool: int) -> torch.Tensor:
    return F.avg_pool2d(maps, pool).flatten(1)


def fit_predict(train: torch.Tensor, labels: torch.Tensor, test: torch.Tensor, pool: int, penalty: float) -> np.ndarray:
    inputs = torch.cat([train, mirror(train)])
    targets = torch.cat([labels, labels])
    features = pooled_features(inputs, pool)
    mean, std = features.mean(0), features.std(0) + 1e-6
    features = (features - mean) / std
    weights = class_weights(targets.numpy(), balanced=True)
    coefficients = torch.zeros(features.shape[1], NUM_CLASSES, requires_grad=True)
    bias = torch.zeros(NUM_CLASSES, requires_grad=True)
    optimiser = torch.optim.LBFGS([coefficients, bias], max_iter=200)

    def loss() -> torch.Tensor:
        optimiser.zero_grad()
        value = F.cross_entropy(features @ coefficients + bias, targets, weight=weights)
        value = value + penalty * coefficients.pow(2).sum()
        value.backward()
        return value

    optimiser.step(loss)
    with torch.no_grad():
        def probabilities(maps: torch.Tensor) -> torch.Tensor:
            return torch.softmax(((pooled_features(maps, pool) - mean) / std) @ coefficients + bias, dim=1)

        return ((probabilities(test) + probabilities(mirror(test))) / 2).argmax(dim=1).numpy()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flow-maps", required=True, type=Path)
    parser.add_argument("--labels", required=True, type=Path)
    parser.add_argument("--pool", type=int, nargs="+", default=[4], help="average-pooling size(s): 2, 4, 7, 14")
    parser.add_argument("--penalty", type=float, nargs="+", default=[0.1], help="L2 penalty(ies)")
    parser.add_argument("--threads", type=int, default=2)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    dataset = load_dataset(arguments.flow_maps, arguments.labels)
    maps = normalise_per_sample(torch.from_numpy(dataset.maps))
    labels = torch.from_numpy(dataset.labels).long()
    folds = person_folds(dataset)
    fold_of_map = np.asarray(folds.of_map)
    for pool in arguments.pool:
        for penalty in arguments.penalty:
            predicted = np.zeros(len(labels), dtype=np.int64)
            for fold in folds.order:
                test = fold_of_map == fold
                predicted[test] = fit_predict(maps[~test], labels[~test], maps[test], pool, penalty)
            summary = summarise(dataset.labels, predicted, dataset.datasets)
            parts = "  ".join(f"{name} {part['uf1']:.4f}/{part['uar']:.4f}" for name, part in summary["perDataset"].items())
            print(f"pool {pool:>2} penalty {penalty:<6} UF1 {summary['uf1']:.4f} UAR {summary['uar']:.4f}  ({parts})",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
