"""MEGC2019 metrics: pooled predictions → per-class F1 and recall → UF1 and UAR, as the app computes them."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .data import NUM_CLASSES


def confusion_matrix(truth: Sequence[int], predicted: Sequence[int], classes: int = NUM_CLASSES) -> np.ndarray:
    """Rows are true classes, columns predicted classes."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    for true_label, predicted_label in zip(truth, predicted):
        matrix[int(true_label), int(predicted_label)] += 1
    return matrix


def uf1_uar(truth: Sequence[int], predicted: Sequence[int], classes: int = NUM_CLASSES) -> tuple[float, float]:
    """Unweighted F1 and unweighted average recall, by the app's rule (src/shared/metrics.ts).

    A class with no true samples has no recall and is left out of UAR. A class that is neither
    true nor predicted (2TP + FP + FN = 0) is left out of UF1; a class never true but predicted
    counts with F1 = 0 (a false alarm is a mistake). With nothing left, the figure is nan. Every
    class is present in the composite, so its pooled and per-dataset figures are the MEGC ones.
    """
    matrix = confusion_matrix(truth, predicted, classes)
    f1_scores: list[float] = []
    recalls: list[float] = []
    for label in range(classes):
        support = matrix[label].sum()
        true_positive = matrix[label, label]
        false_positive = matrix[:, label].sum() - true_positive
        false_negative = support - true_positive
        f1_denominator = 2 * true_positive + false_positive + false_negative
        if f1_denominator > 0:
            f1_scores.append(2 * true_positive / f1_denominator)
        if support > 0:
            recalls.append(true_positive / support)
    return _mean_or_nan(f1_scores), _mean_or_nan(recalls)


def _mean_or_nan(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def summarise(truth: Sequence[int], predicted: Sequence[int], datasets: Sequence[str]) -> dict:
    """Overall and per-dataset UF1/UAR with confusion matrices."""
    truth_array = np.asarray(truth)
    predicted_array = np.asarray(predicted)
    dataset_array = np.asarray(datasets)
    uf1, uar = uf1_uar(truth_array, predicted_array)
    summary: dict = {
        "uf1": uf1,
        "uar": uar,
        "samples": int(len(truth_array)),
        "confusion": confusion_matrix(truth_array, predicted_array).tolist(),
        "perDataset": {},
    }
    for name in sorted(set(dataset_array.tolist())):
        mask = dataset_array == name
        part_uf1, part_uar = uf1_uar(truth_array[mask], predicted_array[mask])
        summary["perDataset"][name] = {
            "uf1": part_uf1,
            "uar": part_uar,
            "samples": int(mask.sum()),
            "confusion": confusion_matrix(truth_array[mask], predicted_array[mask]).tolist(),
        }
    return summary
