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
