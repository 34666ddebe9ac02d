"""Two models on the same items: does A beat B, beyond chance?

Scores from two runs are matched on item id (``samples.jsonl``), so what differs is only
the model. Two answers, both standard for paired binary outcomes:

- McNemar's exact test: only *discordant* items carry information (A right and B wrong, or
  the reverse); under "no difference" each discordant item goes either way with
  probability 1/2, so the p-value is a two-sided binomial test on them (scipy).
- A paired bootstrap interval on the accuracy difference (resampling items). Per item the
  difference is +1, 0 or -1, so a bootstrap resample's mean is fully determined by how
  many of each it draws: one multinomial draw per resample is the exact bootstrap, at no
  cost for large item sets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import BaseModel
from scipy.stats import binomtest

from akb.core.errors import DataError
from akb.core.jsonl import iter_jsonl

N_BOOT = 10000
SEED = 0


class Paired(BaseModel):
    a: str
    b: str
    setting: str
    n: int  # items both runs scored
    only_a: int  # items only A scored (left out)
    only_b: int
    acc_a: float | None  # percent, on the shared items
    acc_b: float | None
    diff: float | None  # acc_a - acc_b, percentage points
    ci_low: float | None
    ci_high: float | None
    a_only_right: int  # discordant: A right, B wrong
    b_only_right: int
    p_mcnemar: float | None
    # McNemar p adjusted for the number of pairs tested together (Holm-Bonferroni); the
    # verdict uses it, so testing 45 pairs does not turn chance into findings.
    p_holm: float | None = None
    note: str | None = None

    def verdict(self) -> str:
        if self.note and self.diff is None:
            return self.note
        assert self.diff is not None and self.p_mcnemar is not None
        lead = self.a if self.diff > 0 else self.b
        p = self.p_holm if self.p_holm is not None else self.p_mcnemar
        which = "Holm-adjusted McNemar" if self.p_holm is not None else "McNemar"
        if self.diff == 0 or p >= 0.05:
            return (f"no clear difference: {self.diff:+.1f} points [{self.ci_low:+.1f}, {self.ci_high:+.1f}], "
                    f"{which} p={p:.3g} on {self.n} items")
        return (f"{lead} is better by {abs(self.diff):.1f} points [{self.ci_low:+.1f}, {self.ci_high:+.1f}] "
                f"({which} p={p:.3g}, {self.n} items)")


def holm(pvalues: list[float | None]) -> list[float | None]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1); None stays None."""
    idx = sorted((i for i, p in enumerate(pvalues) if p is not None), key=lambda i: pvalues[i])  # type: ignore[arg-type,return-value]
    m = len(idx)
    out: list[float | None] = [None] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(idx):
        p = pvalues[i]
        assert p is not None
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


def adjust_holm(rows: list[Paired]) -> list[Paired]:
    """Set ``p_holm`` on every row, over all rows tested together."""
    for row, adj in zip(rows, holm([r.p_mcnemar for r in rows]), strict=True):
        row.p_holm = adj
    return rows


def load_correct(samples: str | Path) -> dict[str, bool]:
    """``id -> correct`` from a run's samples.jsonl; a line without them is a DataError."""
    out: dict[str, bool] = {}
    for line, rec in iter_jsonl(samples):
        sid, ok = rec.get("id"), rec.get("correct")
        if not isinstance(sid, str):
            raise DataError("expected a string", file=samples, line=line, field="id")
        if not isinstance(ok, bool):
            raise DataError(f"expected true or false, got {ok!r}", file=samples, line=line, field="correct")
        out[sid] = ok
    return out


def paired_compare(a: dict[str, bool], b: dict[str, bool], *, name_a: str = "A", name_b: str = "B",
                   setting: str = "", n_boot: int = N_BOOT, seed: int = SEED, level: float = 0.95) -> Paired:
    shared = sorted(set(a) & set(b))
    n = len(shared)
    xa = np.array([a[i] for i in shared], dtype=bool)
    xb = np.array([b[i] for i in shared], dtype=bool)
    only_a_right = int((xa & ~xb).sum())
    only_b_right = int((~xa & xb).sum())
    base = Paired(a=name_a, b=name_b, setting=setting, n=n, only_a=len(set(a) - set(b)), only_b=len(set(b) - set(a)),
                  acc_a=None, acc_b=None, diff=None, ci_low=None, ci_high=None,
                  a_only_right=only_a_right, b_only_right=only_b_right, p_mcnemar=None)
    if n == 0:
        base.note = "no item scored by both runs: nothing to compare"
        return base
    base.acc_a, base.acc_b = 100 * float(xa.mean()), 100 * float(xb.mean())
    base.diff = base.acc_a - base.acc_b
    disc = only_a_right + only_b_right
    base.p_mcnemar = float(binomtest(only_a_right, disc, 0.5).pvalue) if disc else 1.0
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, [only_a_right / n, only_b_right / n, 1 - disc / n], size=n_boot)
    boot = 100 * (counts[:, 0] - counts[:, 1]) / n
    lo, hi = np.percentile(boot, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
    base.ci_low, base.ci_high = float(lo), float(hi)
    if disc == 0:
        base.note = "the runs agree on every shared item (no discordant pairs)"
    elif n < 30:
        base.note = f"only {n} shared items: the interval is rough"
    return base
