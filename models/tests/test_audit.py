"""The epoch-selection audit: what test-set epoch picking would report, next to the final epoch."""
import numpy as np
import pytest

from models.ahmsa.audit import epoch_selection_audit


def one_hot_epochs(predicted_by_epoch: list[list[int]]) -> np.ndarray:
    """[epochs][samples] class indices → probabilities [epochs, samples, 3]."""
    return np.eye(3)[np.asarray(predicted_by_epoch)] * 0.8 + 0.2 / 3


def test_final_epoch_is_the_honest_figure_and_selection_only_inflates() -> None:
    truth = np.array([0, 1, 2, 0, 1, 2])
    # subject A right at epoch 1 only; subject B right at epoch 2 only; the final epoch is wrong for both
    subject_a = one_hot_epochs([[0, 1, 2], [1, 2, 0], [2, 0, 1]])
    subject_b = one_hot_epochs([[1, 2, 0], [0, 1, 2], [2, 0, 1]])
    audit = epoch_selection_audit(truth, ["x"] * 6, [subject_a, subject_b])
    assert audit["epochs"] == 3
    assert audit["finalEpoch"]["uf1"] == 0.0
    assert audit["bestEpochPerSubject"]["uf1"] == 1.0
    assert audit["bestEpochForAll"]["epoch"] in (1, 2)
    assert audit["bestEpochForAll"]["uf1"] == pytest.approx(audit["uf1ByEpoch"][audit["bestEpochForAll"]["epoch"] - 1])
    assert audit["finalEpoch"]["uf1"] <= audit["bestEpochForAll"]["uf1"] <= audit["bestEpochPerSubject"]["uf1"]
    assert "not estimates" in audit["note"]


def test_per_subject_ties_take_the_latest_epoch() -> None:
    truth = np.array([0, 1])
    # epochs 1 and 2 both get one of two right, with different predictions; HTNet's rule keeps the later
    fold = one_hot_epochs([[0, 0], [1, 1], [2, 2]])
    audit = epoch_selection_audit(truth, ["x", "x"], [fold])
    assert audit["bestEpochPerSubject"]["confusion"][1][1] == 1  # epoch 2's predictions


def test_folds_with_different_epoch_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="same number of epochs"):
        epoch_selection_audit(np.array([0, 1]), ["x", "x"], [one_hot_epochs([[0]]), one_hot_epochs([[1], [1]])])
