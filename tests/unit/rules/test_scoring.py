"""Back-test statistics: precision, recall, ROC AUC and days of warning."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alignment.rules.scoring import Observation, roc_auc, score_signal


def test_perfect_separation_has_auc_one_and_random_has_one_half() -> None:
    assert roc_auc([3, 4], [1, 2]) == 1.0
    assert roc_auc([1, 2], [3, 4]) == 0.0
    assert roc_auc([1, 1], [1, 1]) == 0.5


def test_auc_needs_both_classes() -> None:
    assert roc_auc([], [1.0]) is None


def test_counts_precision_recall_and_warning() -> None:
    observations = [
        Observation(left=True, risk=1, warning_days=10),
        Observation(left=True, risk=1, warning_days=30),
        Observation(left=True, risk=0),
        Observation(left=False, risk=1),
        Observation(left=False, risk=0),
        Observation(left=False, risk=0),
    ]
    score = score_signal("gone_quiet", observations, threshold=1)
    assert (score.true_positives, score.false_positives, score.false_negatives, score.true_negatives) == (2, 1, 1, 2)
    assert score.precision == pytest.approx(2 / 3)
    assert score.recall == pytest.approx(2 / 3)
    assert score.median_warning_days == 20
    assert score.roc_auc == pytest.approx(0.5 * (2 / 3 + 2 / 3))


@given(st.lists(st.floats(0, 100), min_size=1, max_size=30), st.lists(st.floats(0, 100), min_size=1, max_size=30))
def test_auc_matches_pairwise_counting(positives: list[float], negatives: list[float]) -> None:
    pairs = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    assert roc_auc(positives, negatives) == pytest.approx(pairs / (len(positives) * len(negatives)))
