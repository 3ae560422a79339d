import numpy as np
import pytest

from slant.models.metrics import format_report, multilabel_report

LABELS = ["a", "b", "c"]


def test_known_confusion():
    # a: tp=2 fp=1 fn=0; b: tp=1 fp=0 fn=1; c: no support, one false positive.
    y_true = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0]])
    y_pred = np.array([[1, 0, 0], [1, 1, 1], [0, 0, 0], [1, 0, 0]])
    report = multilabel_report(y_true, y_pred, LABELS)
    a, b, c = (report["per_label"][k] for k in LABELS)
    assert a == {"precision": pytest.approx(2 / 3), "recall": 1.0, "f1": pytest.approx(0.8), "support": 2}
    assert b["precision"] == 1.0 and b["recall"] == 0.5 and b["f1"] == pytest.approx(2 / 3)
    assert c["support"] == 0
    # micro and macro only over labels with support (a, b): tp=3, fp=1, fn=1.
    assert report["micro_f1"] == pytest.approx(0.75)
    assert report["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2)
    # binary: any-vs-none. true any = [1,1,1,0]; pred any = [1,1,0,1] -> tp=2 fp=1 fn=1.
    assert report["binary_f1"] == pytest.approx(2 / 3)
    assert "| a | 0.667 | 1.000 | 0.800 | 2 |" in format_report(report)


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match=r"must both be \(n, 3\)"):
        multilabel_report(np.zeros((2, 3)), np.zeros((2, 2)), LABELS)
