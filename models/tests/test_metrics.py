import math

from models.ahmsa.metrics import confusion_matrix, summarise, uf1_uar


def test_uf1_uar_by_hand() -> None:
    truth = [0, 0, 0, 0, 1, 1, 2, 2]
    predicted = [0, 0, 0, 1, 1, 2, 2, 0]
    # class 0: TP 3, FP 1, FN 1 → F1 6/8, recall 3/4; class 1: TP 1, FP 1, FN 1 → 1/2, 1/2;
    # class 2: TP 1, FP 1, FN 1 → 1/2, 1/2
    uf1, uar = uf1_uar(truth, predicted)
    assert math.isclose(uf1, (0.75 + 0.5 + 0.5) / 3)
    assert math.isclose(uar, (0.75 + 0.5 + 0.5) / 3)
    assert confusion_matrix(truth, predicted).tolist() == [[3, 1, 0], [0, 1, 1], [1, 0, 1]]


def test_per_dataset_leaves_out_absent_classes() -> None:
    summary = summarise([0, 1, 0, 2], [0, 1, 1, 2], ["a", "a", "b", "b"])
    assert summary["perDataset"]["a"]["uar"] == 1.0
    # dataset b: class 0 recall 0, class 2 recall 1; class 1 absent from truth → left out
    assert summary["perDataset"]["b"]["uar"] == 0.5
    assert summary["samples"] == 4


def test_a_class_predicted_but_never_true_counts_in_uf1_not_in_uar() -> None:
    # as src/shared/metrics.ts: class 1 is a false alarm (F1 0), class 2 is neither true nor predicted
    uf1, uar = uf1_uar([0, 0], [0, 1])
    assert math.isclose(uf1, (2 / 3 + 0.0) / 2)
    assert math.isclose(uar, 0.5)
    summary = summarise([0, 1, 0, 2], [0, 1, 1, 2], ["a", "a", "b", "b"])
    assert math.isclose(summary["perDataset"]["b"]["uf1"], (0 + 0 + 1) / 3)


def test_a_class_neither_true_nor_predicted_is_left_out_of_both() -> None:
    uf1, uar = uf1_uar([0, 1, 1], [0, 1, 0])
    # class 0: TP 1, FP 1 → F1 2/3, recall 1; class 1: TP 1, FN 1 → F1 2/3, recall 1/2; class 2 absent
    assert math.isclose(uf1, 2 / 3)
    assert math.isclose(uar, 0.75)


def test_nothing_to_score_is_nan() -> None:
    uf1, uar = uf1_uar([], [])
    assert math.isnan(uf1) and math.isnan(uar)
