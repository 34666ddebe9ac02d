"""A versioned AKB release (``akb bench release``): the items as JSONL, a Hugging Face
dataset card, a folder ``datasets.load_dataset`` reads (one config per category), an
lm-evaluation-harness task group and an inspect_ai task, plus quality baselines.

Nothing is released that fails ``akb build check``: the release is the checked benchmark,
byte for byte, with a manifest of file hashes.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from akb.bench.fewshot import FEWSHOT_FILE, fewshot_pool
from akb.bench.items import LETTERS, Item
from akb.bench.prompts import (
    FEWSHOT_DELIMITER,
    TARGET_DELIMITER,
    PromptConfig,
    jinja_doc_to_text,
    render_user,
)
from akb.bench.taxonomy import Taxonomy
from akb.core.errors import DataError
from akb.core.jsonl import write_json_atomic
from akb.core.provenance import git_commit, package_versions

CITATION = """@article{lu2026auditory,
  title   = {How Auditory Knowledge in LLM Backbones Shapes Audio Language Models: A Holistic Evaluation},
  author  = {Lu and others},
  journal = {arXiv preprint arXiv:2603.19195},
  year    = {2026}
}"""

# Baselines the card reports: (label, model spec, what it shows).
BASELINES: tuple[tuple[str, str, str], ...] = (
    ("Random", "random", "chance with a fixed seed (25% expected)"),
    ("Always A", "position:A", "share of keys at A"),
    ("Always B", "position:B", "share of keys at B"),
    ("Always C", "position:C", "share of keys at C"),
    ("Always D", "position:D", "share of keys at D"),
    ("Embedding (question + options)", "embedding", "all-MiniLM-L6-v2 picks the option closest to the question"),
    ("Options only (embedding)", "options-only:embedding", "the same model with the question hidden: leakage through the options"),
)
# A category where the embedding baseline reaches this share has distractors that are too easy.
EMBEDDING_ALARM = 0.5


@dataclass
class ReleaseResult:
    folder: Path
    version: str
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _jsonl(items: Sequence[Item]) -> str:
    return "".join(json.dumps(i.to_json(), ensure_ascii=False) + "\n" for i in items)


def data_file(version: str) -> str:
    return f"akb2000-v{version}.jsonl"


def build_release(
    items: Sequence[Item],
    taxonomy: Taxonomy,
    *,
    version: str,
    out: Path,
    baselines: dict[str, Any] | None = None,
    hf_name: str | None = None,
    license_id: str = "cc-by-4.0",
    allow_incomplete: bool = False,
    validity: dict[str, Any] | None = None,
    changelog: list[dict[str, Any]] | None = None,
) -> ReleaseResult:
    """Write the release folder. ``baselines`` is what :func:`run_baselines` returned;
    ``validity`` what :func:`akb.build.validity.compute_validity` returned; ``changelog`` the
    entries of ``akb build merge-revisions``. From v0.2 on the option-set checks always apply."""
    from akb.build.checks import check_items

    problems = check_items(items, option_rules=True if _at_least(version, (0, 2)) else None)
    if problems:
        first = problems[0]
        raise DataError(f"{len(problems)} problem(s) found by akb build check; first: {first.item_id}: {first.check}: {first.message}")
    counts = Counter(i.category for i in items)
    short = {c.id: (c.total, counts.get(c.id, 0)) for c in taxonomy.categories if counts.get(c.id, 0) != c.total}
    if short and not allow_incomplete:
        detail = ", ".join(f"{c} {got}/{want}" for c, (want, got) in short.items())
        raise DataError(f"categories are not at their totals ({detail}); pass --allow-incomplete for a preview release")
    out.mkdir(parents=True, exist_ok=True)
    res = ReleaseResult(folder=out, version=version, counts=dict(counts))
    ordered = sorted(items, key=lambda i: i.id)
    main = out / data_file(version)
    write_json_atomic(main, _jsonl(ordered))
    for c in taxonomy.categories:
        write_json_atomic(out / "data" / f"{c.id}.jsonl", _jsonl([i for i in ordered if i.category == c.id]))
    if baselines is not None:
        write_json_atomic(out / "baselines.json", baselines)
        emb = baselines.get("embedding", {}).get("categories", {})
        for cat, s in emb.items():
            if s.get("accuracy") is not None and s["accuracy"] > EMBEDDING_ALARM:
                res.warnings.append(f"embedding baseline scores {100 * s['accuracy']:.1f}% on {cat}: its distractors are too easy")
    if validity is not None:
        from akb.build.validity import fingerprint

        write_json_atomic(out / "validity.json", json.dumps(validity, indent=1, ensure_ascii=False) + "\n")
        if validity.get("fingerprint") != fingerprint(ordered):
            res.warnings.append("the validity figures were measured on a different item set: run akb build validity again")
    entry = None
    if changelog:
        from akb.build.revisions import changelog_markdown

        write_json_atomic(out / "CHANGELOG.md", changelog_markdown(changelog))
        entry = next((e for e in changelog if str(e.get("version")) == version), None)
        if entry is None:
            res.warnings.append(f"the changelog has no entry for v{version}")
    write_json_atomic(out / "README.md", dataset_card(ordered, taxonomy, version=version, baselines=baselines,
                                                      license_id=license_id, hf_name=hf_name, validity=validity,
                                                      changelog_entry=entry))
    write_harness_tasks(out, taxonomy, version)
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.name != "release.json" and "__pycache__" not in p.parts:
            res.files[p.relative_to(out).as_posix()] = _sha(p)
    write_json_atomic(out / "release.json", {
        "name": "AKB-2000", "version": version, "items": len(ordered), "categories": dict(counts),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "akb": package_versions(("akb",)).get("akb"), "git_commit": git_commit(), "files": res.files,
        "warnings": res.warnings,
    })
    return res


def write_harness_tasks(out: Path, taxonomy: Taxonomy, version: str, items: Sequence[Item] | None = None) -> Path:
    """The few-shot pool, the lm-eval task group and the inspect task of a release (and,
    given ``items``, the data file they read). Every path inside is relative to ``out``, so
    the folder still works after being moved, copied or uploaded."""
    if items is not None:
        write_json_atomic(out / data_file(version), _jsonl(sorted(items, key=lambda i: i.id)))
    write_json_atomic(out / FEWSHOT_FILE, _jsonl(list(fewshot_pool())))
    for name, text in lm_eval_files(taxonomy, version).items():
        write_json_atomic(out / "lm_eval" / name, text)
    write_json_atomic(out / "inspect_akb2000.py", inspect_task_source(version))
    return out


# ---------------------------------------------------------------- dataset card
def _at_least(version: str, minimum: tuple[int, ...]) -> bool:
    import re

    nums = tuple(int(x) for x in re.findall(r"\d+", version)[:len(minimum)])
    return nums >= minimum


def _size_category(n: int) -> str:
    return "n<1K" if n < 1000 else "1K<n<10K" if n < 10000 else "10K<n<100K"


def dataset_card(items: Sequence[Item], taxonomy: Taxonomy, *, version: str, baselines: dict[str, Any] | None,
                 license_id: str, hf_name: str | None, validity: dict[str, Any] | None = None,
                 changelog_entry: dict[str, Any] | None = None) -> str:
    from akb.bench.stats import bench_stats
    from akb.build.checks import release_stats

    st = bench_stats(items, taxonomy)
    rel = release_stats(items)
    configs: list[dict[str, Any]] = [{"config_name": "default", "default": True,
                                      "data_files": [{"split": "test", "path": data_file(version)}]}]
    configs += [{"config_name": c.id, "data_files": [{"split": "test", "path": f"data/{c.id}.jsonl"}]}
                for c in taxonomy.categories]
    configs.append({"config_name": "fewshot", "data_files": [{"split": "train", "path": FEWSHOT_FILE}]})
    header = {
        "pretty_name": "AKB-2000",
        "license": license_id,
        "language": ["en"],
        "size_categories": [_size_category(len(items))],
        "task_categories": ["multiple-choice", "question-answering"],
        "task_ids": ["multiple-choice-qa"],
        "tags": ["audio", "auditory-knowledge", "music", "phonetics", "paralinguistics", "benchmark", "llm-evaluation"],
        "configs": configs,
    }
    n = len(items)
    prov = Counter(i.provenance.method for i in items)
    status = Counter(i.review.status for i in items)
    L: list[str] = ["---", yaml.safe_dump(header, sort_keys=False, allow_unicode=True).strip(), "---", "",
                    f"# AKB-2000 (v{version})", "",
                    f"AKB-2000 is a text-only benchmark of **{n} four-option questions** that measures how much "
                    "auditory knowledge a language model learned from text alone: music, everyday sound, "
                    "paralinguistics, phonetics, audio quality and audio technology. It implements the benchmark "
                    "described by Lu et al. (2026); the items are akb's own.", "",
                    "## Use", "", "```python", "from datasets import load_dataset",
                    f"ds = load_dataset({(hf_name or '.')!r}, split='test')            # all items",
                    f"music = load_dataset({(hf_name or '.')!r}, 'music', split='test')  # one category", "```", "",
                    *usage_section(), "",
                    "The headline score is plain accuracy over all items (categories weighted by their size). "
                    f"With {n} items the 95% interval is about ±{196 * (0.25 / max(n, 1)) ** 0.5:.1f} points overall.", "",
                    "## Fields", "",
                    "| field | meaning |", "|---|---|",
                    "| `id` | `category.subcategory.NNN`, stable across releases |",
                    "| `category`, `subcategory` | the two-level taxonomy below |",
                    "| `question`, `choices` | the stem and four options, shown as (A)-(D) |",
                    "| `answer` | the key, a letter A-D |",
                    "| `rationale` | why the key is right (knowledge items) |",
                    "| `provenance` | `authored`, `llm-generated` or `procedural`; by whom; generator and parameters of computed items |",
                    "| `review` | status and every review: reviewer, kind (human/model/auto), time, blind answer, verdict; "
                    "from v0.2 the mode (`blind`: a key check, the item without its key; `options-only`: the four options "
                    "without the question; `exam`: an examinee's answer on the validity sample; `trivia`: is the key "
                    "given away without auditory knowledge; `adjudication`: a ruling on an exam miss; the last three "
                    "never change the status), a model reviewer's family and the sample |",
                    "| `meta.siblings` | from v0.2: for each distractor, the closely related sibling question it is the "
                    "right answer to |",
                    "| `option_order` | the recorded permutation that balanced the gold letters |", "",
                    "## Taxonomy", "", "| Category | Subcategory | Items |", "|---|---|---:|"]
    for c in st["categories"]:
        L.append(f"| **{c['name']}** | | **{c['count']}** |")
        for s in c["subcategories"]:
            L.append(f"| | {s['name']} | {s['count']} |")
    L += ["", "## Construction", "",
          "1. A two-level taxonomy (6 categories at the published sizes, 48 subcategories with scope notes) was "
          "fixed before any item was written.",
          "2. *Knowledge items* were drafted by LLM writers working from the scope notes and an examiner's brief "
          "(one defensible key, three same-kind distractors of similar length, no clue in the wording, a short "
          "rationale).",
          "3. *Procedural items* have keys computed from a source, never written: pronunciations from the CMU "
          "Pronouncing Dictionary, music theory from music21, and standard audio formulas. `akb build check` "
          "recomputes every one.",
          "4. Automatic checks: schema, banned option forms, rationales, near-duplicates, recomputed keys, "
          "gold-letter balance per category and the share of keys that are the longest option. From v0.2, the "
          "option-set rule: every distractor is the right answer to a closely related sibling question recorded in "
          "the item (`meta.siblings`), options are of one kind, of similar length and hedged alike, no option alone "
          "repeats a word of the stem, and numeric keys are spread evenly over the ranks of the sorted values.",
          "5. Every key was checked blind: a reviewer who did not write the item answered it without seeing the "
          "key; disagreements and flags were fixed (then reviewed again) or the item was dropped.",
          "6. Gold letters were balanced per category by a deterministic permutation recorded in each item.", "",
          f"Provenance: {', '.join(f'{k} {v}' for k, v in prov.most_common())}.", "",
          "## Review status", "",
          "| status | items |", "|---|---:|"]
    L += [f"| {k} | {v} |" for k, v in status.most_common()]
    L += ["", "`model-reviewed` means an independent model reviewer answered the item blind and matched the key; "
          "`human-verified` means a person accepted it in `akb review`. A model review is never reported as "
          "human verification.", "",
          "## Answer-letter distribution", "", "| Category | A | B | C | D | key is longest option |",
          "|---|---:|---:|---:|---:|---:|"]
    for cat, s in rel.items():
        assert isinstance(s, dict)
        g = s["gold_letters"]
        L.append(f"| {taxonomy.category_name(cat)} | " + " | ".join(str(g[x]) for x in LETTERS)
                 + f" | {100 * s['gold_longest_rate']:.0f}% |")
    tot: Counter[str] = Counter(i.answer for i in items)
    L.append("| **All** | " + " | ".join(f"**{tot[x]}**" for x in LETTERS) + " | |")
    L += ["", "## Quality baselines", ""]
    if baselines:
        cats = [c.id for c in taxonomy.categories]
        L += ["Accuracy (%) of answerers that know nothing about sound. A knowledgeable reader scores far higher; "
              f"a category where the embedding baseline passes {100 * EMBEDDING_ALARM:.0f}% would have distractors "
              "that are too easy.", "",
              "| Baseline | " + " | ".join(taxonomy.category_name(c) for c in cats) + " | All | what it shows |",
              "|---|" + "---:|" * (len(cats) + 1) + "---|"]
        for label, spec, why in BASELINES:
            b = baselines.get(spec)
            if not b:
                continue
            cells = [_pct(b["categories"].get(c)) for c in cats]
            L.append(f"| {label} (`{spec}`) | " + " | ".join(cells) + f" | {_pct(b['overall'])} | {why} |")
    else:
        L.append("Not computed for this release (run `akb bench release` with `--baselines`).")
    from akb.build.validity import validity_markdown

    L += [""] + validity_markdown(validity, items, taxonomy)
    if changelog_entry:
        sm = changelog_entry.get("summary", {})
        L += ["## Changes in this version", "",
              ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sm.items()) + ". Unchanged items keep their ids; "
              "a replaced item's id is retired, never reused. Every changed and retired id, with the reason, is in "
              "`CHANGELOG.md`.", ""]
    L += ["## Known limitations", "",
          "- English only; pronunciation items follow General American (CMU Pronouncing Dictionary); music items "
          "follow Western theory unless they name another tradition.",
          "- Knowledge items were drafted by LLMs and checked by independent model reviewers; until people verify "
          "them (see the review status), some keys may still be wrong. Report a problem with the item id.",
          "- Text-only: items test knowledge *about* sound, not listening. They do not measure how well an audio "
          "model perceives audio.",
          "- Paralinguistic items describe typical tendencies (e.g. the vocal profile of sadness); individual "
          "speakers and cultures vary.",
          "- Items are public: scores of models trained after the release may be inflated by contamination.", "",
          "## Citation", "", "```bibtex", CITATION, "```", ""]
    return "\n".join(L)


def _pct(score: dict[str, Any] | None) -> str:
    if not score or score.get("accuracy") is None:
        return "-"
    return f"{100 * score['accuracy']:.1f}"


# ---------------------------------------------------------------- how to run it
def usage_section(model: str = "HuggingFaceTB/SmolLM2-135M-Instruct") -> list[str]:
    """The card's command lines: the same prompt, bytes and letters in akb, lm-eval and inspect."""
    return [
        "Run from this folder. The prompt is one definition (akb's `akb-mcq-v2`): a description, then `Question:`, "
        "the options as `A. text`, an instruction and `Answer:`; the score of an item is the log-probability of "
        "each letter right after it. akb and lm-evaluation-harness render the same bytes and so give the same "
        "four letter log-probabilities, in both modes:", "",
        "```bash",
        "# plain mode (a base model, or any model without its chat template): the letter is scored as ' A'",
        f"akb probe --model hf:{model} --mode logprob -o chat_template=none",
        f"lm_eval --model hf --model_args pretrained={model} --include_path lm_eval --tasks akb2000",
        "# chat mode (the model's chat template; the description becomes the system message; the letter is 'A')",
        f"akb probe --model hf:{model} --mode logprob",
        f"lm_eval --model hf --model_args pretrained={model} --include_path lm_eval --tasks akb2000 --apply_chat_template",
        "# K solved examples first (a fixed pool of 6 outside the test items, fewshot.jsonl; the first K, K <= 6)",
        f"akb probe --model hf:{model} --mode logprob --num-fewshot 3",
        f"lm_eval --model hf --model_args pretrained={model} --include_path lm_eval --tasks akb2000 --num_fewshot 3",
        "# inspect_ai (chat models; the same system and user messages; the reply's letter is scored)",
        "inspect eval inspect_akb2000.py --model openai/gpt-4o",
        "inspect eval inspect_akb2000.py --model openai/gpt-4o -T fewshot=3 -T category=music",
        "```", "",
        "A GGUF file works too: `akb probe --model hf:DIR/model.gguf` and "
        "`lm_eval --model hf --model_args pretrained=DIR,gguf_file=model.gguf`.",
    ]


# ---------------------------------------------------------------- lm-evaluation-harness
def lm_eval_loader_source(version: str) -> str:
    return f'''"""Loads AKB-2000 v{version} for lm-evaluation-harness from the files of this release,
found relative to this file, so the release folder can be moved or copied anywhere."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("id", "category", "subcategory", "question", "choices", "answer")


def _read(path, category=None):
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{{k: r[k] for k in FIELDS}} for r in rows if category is None or r["category"] == category]


def load_akb2000(category=None, **_):
    import datasets

    return datasets.DatasetDict({{
        "test": datasets.Dataset.from_list(_read(ROOT / "{data_file(version)}", category)),
        "fewshot": datasets.Dataset.from_list(_read(ROOT / "{FEWSHOT_FILE}")),
    }})
'''


def lm_eval_files(taxonomy: Taxonomy, version: str, prompt: PromptConfig | None = None) -> dict[str, str]:
    """A task per category and a group ``akb2000`` whose accuracy is plain accuracy over items.

    The prompt is :mod:`akb.bench.prompts`' canonical one: ``description`` is its system
    text, ``doc_to_text`` its user text as Jinja, lm-eval's default delimiters; few-shot
    examples are the first K of the fixed pool (split ``fewshot``, sampler ``first_n``)."""
    prompt = prompt or PromptConfig()
    template = {
        "test_split": "test",
        "fewshot_split": "fewshot",
        "fewshot_config": {"sampler": "first_n"},
        "output_type": "multiple_choice",
        "description": prompt.system or "",
        "doc_to_text": jinja_doc_to_text(prompt),
        "doc_to_choice": list(LETTERS),
        "doc_to_target": "{{['A', 'B', 'C', 'D'].index(answer)}}",
        "target_delimiter": TARGET_DELIMITER,
        "fewshot_delimiter": FEWSHOT_DELIMITER,
        "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True},
                        {"metric": "acc_norm", "aggregation": "mean", "higher_is_better": True}],
        "metadata": {"version": 2.0, "prompt": prompt.version},
    }
    # The loader is a function beside the YAML (lm-eval resolves `!function` relative to it).
    text = "custom_dataset: !function utils.load_akb2000\n" + yaml.safe_dump(template, sort_keys=False, allow_unicode=True)
    files = {"_akb2000_template_yaml": text, "utils.py": lm_eval_loader_source(version)}
    tasks = []
    for c in taxonomy.categories:
        name = f"akb2000_{c.id}"
        tasks.append(name)
        files[f"{name}.yaml"] = yaml.safe_dump({"include": "_akb2000_template_yaml", "task": name,
                                                "dataset_kwargs": {"category": c.id}}, sort_keys=False)
    files["_akb2000.yaml"] = yaml.safe_dump({
        "group": "akb2000", "task": tasks,
        "aggregate_metric_list": [{"metric": "acc", "aggregation": "mean", "weight_by_size": True},
                                  {"metric": "acc_norm", "aggregation": "mean", "weight_by_size": True}],
        "metadata": {"version": 2.0},
    }, sort_keys=False)
    return files


# ---------------------------------------------------------------- inspect_ai
def inspect_task_source(version: str, prompt: PromptConfig | None = None) -> str:
    """The inspect_ai task: the canonical messages (akb's own ``render_user``, embedded),
    ``generate()``, the reply's letter scored, accuracy overall and per category."""
    import inspect as _inspect

    prompt = prompt or PromptConfig()
    consts = "\n".join([
        f"PROMPT_VERSION = {prompt.version!r}",
        f"SYSTEM = {prompt.system!r}",
        f"DEFAULT_TEMPLATE = {prompt.template!r}",
        f"OPTION_TEMPLATE = {prompt.option_template!r}",
        f"DEFAULT_INSTRUCTION = {prompt.instruction!r}",
        f"TARGET_DELIMITER = {TARGET_DELIMITER!r}",
        f"FEWSHOT_DELIMITER = {FEWSHOT_DELIMITER!r}",
    ])
    render_src = _inspect.getsource(render_user)
    return f'''"""AKB-2000 v{version} as an inspect_ai task. From this folder:

    inspect eval inspect_akb2000.py --model PROVIDER/MODEL [-T category=music] [-T fewshot=3]

Each sample is the canonical AKB prompt ({prompt.version}): the system message and the user
message akb and the lm-eval task render, byte for byte. The model answers; the letter of
its reply is scored (a bare letter, ``(B)``, ``B.``, ``Answer: B``; anything else is wrong).
Accuracy is reported overall and per category. Reads the files beside this one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageSystem, ChatMessageUser
from inspect_ai.scorer import CORRECT, INCORRECT, Score, Target, accuracy, grouped, scorer, stderr
from inspect_ai.solver import TaskState, generate

HERE = Path(__file__).resolve().parent
DATA = HERE / "{data_file(version)}"
FEWSHOT = HERE / "{FEWSHOT_FILE}"
{consts}


{render_src}

def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def record_to_sample(record: dict, shots: Sequence[tuple[str, Sequence[str], str]] = ()) -> Sample:
    messages = [ChatMessageUser(content=render_user(record["question"], record["choices"], shots))]
    if SYSTEM:
        messages.insert(0, ChatMessageSystem(content=SYSTEM))
    return Sample(id=record["id"], input=messages, target=record["answer"], choices=record["choices"],
                  metadata={{"category": record["category"], "subcategory": record["subcategory"]}})


_EXPLICIT = re.compile(r"answer\\s*(?:is)?\\s*[:\\-]?\\s*\\(?([ABCD])\\b", re.I)
_LEADING = re.compile(r"^\\s*[\\(\\[*]*([ABCD])(?:[\\)\\].:,*]|\\s|$)")


def reply_letter(text: str) -> str | None:
    found = _EXPLICIT.findall(text or "")
    if found:
        return found[-1].upper()
    m = _LEADING.match(text or "")
    return m.group(1) if m else None


@scorer(metrics=[accuracy(), stderr(), grouped(accuracy(), "category")])
def letter():
    async def score(state: TaskState, target: Target) -> Score:
        got = reply_letter(state.output.completion)
        return Score(value=CORRECT if got == target.text else INCORRECT, answer=got or "",
                     explanation=state.output.completion)

    return score


@task
def akb2000(category: str | None = None, fewshot: int = 0) -> Task:
    pool = _rows(FEWSHOT)
    if not 0 <= int(fewshot) <= len(pool):
        raise ValueError(f"fewshot must be between 0 and {{len(pool)}}")
    shots = [(r["question"], r["choices"], r["answer"]) for r in pool[: int(fewshot)]]
    rows = [r for r in _rows(DATA) if category is None or r["category"] == category]
    dataset = MemoryDataset([record_to_sample(r, shots) for r in rows], name="akb2000")
    return Task(dataset=dataset, solver=generate(), scorer=letter())
'''


def release_commands(folder: Path) -> list[str]:
    """What ``akb bench release`` prints: commands that work as printed (inspect refuses an
    absolute task path, so both run from inside the folder)."""
    import shlex

    cd = f"cd {shlex.quote(str(folder))} && "
    return [f"{cd}lm_eval --model hf --model_args pretrained=MODEL --include_path lm_eval --tasks akb2000",
            f"{cd}inspect eval inspect_akb2000.py --model PROVIDER/MODEL"]


# ---------------------------------------------------------------- README figures
README_START = "<!-- baselines: generated by `akb bench release --update-readme README.md`; do not edit -->"
README_END = "<!-- /baselines -->"


def readme_baselines(baselines: dict[str, Any]) -> str:
    """The README's baseline sentence, from the same numbers (and rounding) as the card."""
    def pct(spec: str) -> str:
        return _pct((baselines.get(spec) or {}).get("overall"))

    pos = sorted(float(p) for p in (pct(f"position:{x}") for x in LETTERS) if p != "-")
    cats = [float(_pct(s)) for spec in baselines for s in (baselines[spec].get("categories") or {}).values()
            if _pct(s) != "-"]
    span = f"{pos[0]:.1f}-{pos[-1]:.1f}%" if pos else "-"
    return (f"random {pct('random')}%, always-A/B/C/D {span}, the embedding baseline {pct('embedding')}% and the "
            f"options-only embedding baseline {pct('options-only:embedding')}% overall, no category above "
            f"{max(cats):.1f}% for any of them" if cats else "not computed")


def update_readme_baselines(path: Path, baselines: dict[str, Any]) -> None:
    """Replace the text between the README's baseline markers with :func:`readme_baselines`."""
    text = path.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        raise DataError(f"{path} has no baseline markers ({README_START} ... {README_END})")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    path.write_text(f"{head}{README_START}\n{readme_baselines(baselines)}\n{README_END}{tail}", encoding="utf-8")
