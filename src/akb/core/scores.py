"""An accuracy with its 95% Wilson score interval: the number every summary reports.

Wilson intervals stay inside [0, 1] and behave at small n, where the normal approximation
does not. The formula is a few lines of the standard library: importing scipy.stats for it
cost 0.8 s of every ``akb probe`` start.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from pydantic import BaseModel


class Score(BaseModel):
    n: int
    correct: int
    accuracy: float | None
    ci_low: float | None = None
    ci_high: float | None = None

    def pct(self) -> str:
        if self.accuracy is None:
            return "-"
        return f"{100 * self.accuracy:.2f}"

    def pct_ci(self) -> str:
        if self.accuracy is None or self.ci_low is None or self.ci_high is None:
            return "-"
        return f"{100 * self.accuracy:.1f} [{100 * self.ci_low:.1f}, {100 * self.ci_high:.1f}]"


def wilson(correct: int, n: int, confidence: float = 0.95) -> Score:
    if n == 0:
        return Score(n=0, correct=0, accuracy=None, ci_low=None, ci_high=None)
    low, high = wilson_interval(correct, n, confidence)
    return Score(n=n, correct=correct, accuracy=correct / n, ci_low=low, ci_high=high)


def wilson_interval(correct: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval (as scipy's ``binomtest(...).proportion_ci(method="wilson")``)."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if correct == 0 else max(0.0, centre - half)
    high = 1.0 if correct == n else min(1.0, centre + half)
    return low, high
