"""How much test-set epoch selection would inflate a LOSO result (an audit, never an estimate).

Papers on this composite often report, for each held-out subject, the epoch whose predictions were
best on that subject (HTNet's published figure is made that way). With every epoch's held-out
predictions recorded, the same run gives three figures side by side:

- finalEpoch: the honest result (the trainer's predictions.csv and metrics.json);
- bestEpochForAll: one epoch for every fold, picked by the pooled test UF1 (test-set selection);
- bestEpochPerSubject: per subject, the epoch with the most correct predictions, the latest on ties
  (HTNet's rule; test-set selection).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .metrics import summarise, uf1_uar

NOTE = ("bestEpochForAll and bestEpochPerSubject pick epochs by test-subject results: they show how "
        "much such selection inflates the figure and are not estimates of accuracy. finalEpoch is the "
        "honest result.")


def epoch_selection_audit(truth: np.ndarray, datasets: Sequence[str], folds: Sequence[np.ndarray]) -> dict:
    """truth [n] and datasets [n] in pooled order; folds: each fold's probabilities [epochs, samples, 3],
    concatenated along samples in the same order."""
    epochs = folds[0].shape[0]
    if any(fold.shape[0] != epochs for fold in folds):
        raise ValueError("every fold must record the same number of epochs")
    predicted = np.concatenate([fold.argmax(axis=2) for fold in folds], axis=1)  # [epochs, n]
    curve = [uf1_uar(truth, predicted[epoch])[0] for epoch in range(epochs)]
    best_for_all = int(np.argmax(curve))
    per_subject = np.concatenate([_best_epoch_predictions(fold, truth[start:start + fold.shape[1]])
                                  for fold, start in zip(folds, _starts(folds))])
    return {
        "note": NOTE,
        "epochs": epochs,
        "uf1ByEpoch": curve,
        "finalEpoch": summarise(truth, predicted[-1], datasets),
        "bestEpochForAll": {"epoch": best_for_all + 1, **summarise(truth, predicted[best_for_all], datasets)},
        "bestEpochPerSubject": summarise(truth, per_subject, datasets),
    }


def _starts(folds: Sequence[np.ndarray]) -> list[int]:
    sizes = [fold.shape[1] for fold in folds]
    return [int(start) for start in np.cumsum([0, *sizes[:-1]])]


def _best_epoch_predictions(fold: np.ndarray, truth: np.ndarray) -> np.ndarray:
    predicted = fold.argmax(axis=2)  # [epochs, samples]
    correct = (predicted == truth[None, :]).sum(axis=1)
    latest_best = len(correct) - 1 - int(np.argmax(correct[::-1]))
    return predicted[latest_best]
