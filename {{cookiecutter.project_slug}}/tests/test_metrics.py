"""Each metric on small hand-computed cases."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.evaluation import metrics

# three labels; 6 rows: label 0 all right, label 1 half right, label 2 once confused with 1
Y_TRUE = [0, 0, 1, 1, 2, 2]
Y_PRED = [0, 0, 1, 0, 2, 1]
LABELS = [0, 1, 2]
NAMES = ["a", "b", "c"]


def test_accuracy_counts_exact_matches():
    assert metrics.summary(Y_TRUE, Y_PRED, [1.0] * 6, LABELS)["accuracy"] == pytest.approx(4 / 6, abs=1e-6)


def test_macro_f1_is_the_unweighted_mean_of_per_label_f1():
    # a: p=2/3 r=1 f1=0.8; b: p=1/2 r=1/2 f1=0.5; c: p=1 r=1/2 f1=2/3
    assert metrics.macro_f1(Y_TRUE, Y_PRED, LABELS) == pytest.approx((0.8 + 0.5 + 2 / 3) / 3, abs=1e-6)


def test_macro_f1_counts_a_label_never_seen_as_zero():
    assert metrics.macro_f1([0, 0], [0, 0], [0, 1]) == pytest.approx(0.5)


def test_weighted_precision_and_recall():
    scores = metrics.summary(Y_TRUE, Y_PRED, [1.0] * 6, LABELS)
    assert scores["weighted_f1"] == pytest.approx((0.8 * 2 + 0.5 * 2 + 2 / 3 * 2) / 6, abs=1e-6)
    assert scores["macro_precision"] == pytest.approx((2 / 3 + 1 / 2 + 1) / 3, abs=1e-6)
    assert scores["macro_recall"] == pytest.approx((1 + 1 / 2 + 1 / 2) / 3, abs=1e-6)
    assert scores["rows"] == 6


def test_per_class_scores_and_support():
    per = metrics.per_class(Y_TRUE, Y_PRED, NAMES)
    assert list(per) == NAMES
    assert per["a"] == {"precision": pytest.approx(2 / 3, abs=1e-6), "recall": 1.0, "f1": 0.8, "support": 2}
    assert per["c"]["precision"] == 1.0 and per["c"]["recall"] == 0.5


def test_confusion_matrix_rows_are_true_labels():
    assert metrics.confusion(Y_TRUE, Y_PRED, NAMES) == {"labels": NAMES, "matrix": [[2, 0, 0], [1, 1, 0], [0, 1, 1]]}


def test_ece_of_a_calibrated_model_is_zero():
    # confidence 0.5 and half of those right; confidence 1.0 and all right
    assert metrics.expected_calibration_error([0.5, 0.5, 1.0, 1.0], [True, False, True, True], bins=10) == 0.0


def test_ece_weights_each_bin_by_its_share():
    # bin (0.8, 0.9]: confidence 0.9, accuracy 0 -> gap 0.9, share 1/2; bin (0.5, 0.6]: conf 0.6, acc 1 -> 0.4, 1/2
    value = metrics.expected_calibration_error([0.9, 0.6], [False, True], bins=10)
    assert value == pytest.approx(0.9 * 0.5 + 0.4 * 0.5)


def test_ece_of_an_overconfident_model():
    assert metrics.expected_calibration_error([1.0] * 4, [True, False, False, False], bins=5) == pytest.approx(0.75)


def test_slice_summary_averages_over_the_labels_present():
    # only label 0 and 1 appear in this slice: label 2 must not drag macro-F1 down
    scores = metrics.slice_summary([0, 1], [0, 1], [0.9, 0.9], ["macro_f1", "accuracy"])
    assert scores == {"rows": 2, "macro_f1": 1.0, "accuracy": 1.0}


def test_gap_names_best_and_worst():
    assert metrics.gap({"email": 0.95, "chat": 0.93, "phone": 0.81}, "macro_f1") == {
        "metric": "macro_f1",
        "gap": pytest.approx(0.14),
        "best": "email",
        "worst": "phone",
    }


def test_gap_of_a_lower_is_better_metric():
    gap = metrics.gap({"email": 0.02, "phone": 0.10}, "ece")
    assert (gap["best"], gap["worst"]) == ("email", "phone")
    assert gap["gap"] == pytest.approx(0.08)
