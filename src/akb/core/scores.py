"""An accuracy with its 95% Wilson score interval: the number every summary reports.

Wilson intervals (scipy) stay inside [0, 1] and behave at small n, where the normal
approximation does not.
"""

from __future__ import annotations

from pydantic import BaseModel
from scipy.stats import binomtest


class Score(BaseModel):
    n: int
    correct: int
    accuracy: float | None
    ci_low: float | None
    ci_high: float | None

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
    ci = binomtest(correct, n).proportion_ci(confidence_level=confidence, method="wilson")
    return Score(n=n, correct=correct, accuracy=correct / n, ci_low=float(ci.low), ci_high=float(ci.high))
