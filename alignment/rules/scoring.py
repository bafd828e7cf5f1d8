"""How well a warning signal separates learners who left from those who stayed.

Pure statistics for back-tests: precision, recall, ROC AUC (the Mann–Whitney statistic, ties counted
half) and the median number of days of warning before a learner left.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Observation:
    """One learner as a signal saw them: how risky it rated them, when it first fired, what happened."""

    left: bool
    risk: float
    """Higher means more at risk; for a yes/no rule, 1 if it fired in the window, else 0."""
    warning_days: int | None = None
    """For a learner who left and was flagged: days between the first flag and leaving."""


@dataclass(frozen=True)
class SignalScore:
    """The quality of one signal over a population."""

    name: str
    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int
    roc_auc: float | None
    median_warning_days: float | None

    @property
    def precision(self) -> float | None:
        """Of those flagged, the share who left."""
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        """Of those who left, the share flagged."""
        left = self.true_positives + self.false_negatives
        return self.true_positives / left if left else None


def score_signal(name: str, observations: Sequence[Observation], threshold: float) -> SignalScore:
    """Count hits and misses with `risk >= threshold` as flagged, and rank quality by ROC AUC."""
    tp = sum(1 for o in observations if o.left and o.risk >= threshold)
    fp = sum(1 for o in observations if not o.left and o.risk >= threshold)
    fn = sum(1 for o in observations if o.left and o.risk < threshold)
    tn = sum(1 for o in observations if not o.left and o.risk < threshold)
    warnings = [o.warning_days for o in observations if o.left and o.risk >= threshold and o.warning_days is not None]
    return SignalScore(
        name=name,
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
        true_negatives=tn,
        roc_auc=roc_auc([o.risk for o in observations if o.left], [o.risk for o in observations if not o.left]),
        median_warning_days=float(statistics.median(warnings)) if warnings else None,
    )


def roc_auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """The chance that a random positive scores above a random negative (ties count half)."""
    if not positives or not negatives:
        return None
    ranked = sorted([(v, 1) for v in positives] + [(v, 0) for v in negatives])
    rank_sum = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        average_rank = (i + 1 + j) / 2  # ranks are 1-based; tied values share their average rank
        rank_sum += average_rank * sum(label for _, label in ranked[i:j])
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
