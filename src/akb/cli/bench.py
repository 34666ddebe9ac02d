"""``akb bench``: validate, describe and inspect benchmark files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from akb.bench.loader import default_items_path, load_items
from akb.bench.stats import bench_stats
from akb.bench.taxonomy import load_taxonomy
from akb.cli.common import console

app = typer.Typer(help="Validate, describe and inspect AKB item files.", no_args_is_help=True)

FileArg = Annotated[Path | None, typer.Argument(help="items JSONL (default: the shipped AKB-2000)")]


@app.command()
def validate(file: Annotated[Path, typer.Argument(help="items JSONL to check")]) -> None:
    """Check every line against the item schema and the taxonomy; first problem is reported."""
    items = load_items(file)
    console.print(f"[green]ok[/green] {file}: {len(items)} items valid")


@app.command()
def stats(
    file: FileArg = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    validity: Annotated[Path | None, typer.Option(help="validity figures JSON (default: the shipped akb/data/validity.json)")] = None,
) -> None:
    """Counts per category and subcategory, gold letters, provenance and review mix."""
    from akb.build.checks import near_duplicates

    path = file or default_items_path()
    tax = load_taxonomy()
    items = load_items(path)
    from akb.build.validity import fingerprint, load_validity

    s = bench_stats(items, tax)
    s["near_duplicates"] = [list(d) for d in near_duplicates(items)]
    v = load_validity(validity)
    s["validity"] = v
    fresh = v is not None and v.get("fingerprint") == fingerprint(items)
    if as_json:
        s["validity_matches_items"] = fresh
        console.print_json(json.dumps(s))
        return
    console.print(f"[bold]{path}[/bold]: {s['items']} items (target {s['target']}), "
                  f"{s['subcategories_present']}/{s['subcategories_total']} subcategories present")
    t = Table(title="Categories and subcategories (count / target)")
    t.add_column("Category / subcategory")
    t.add_column("Items", justify="right")
    t.add_column("Target", justify="right")
    for c in s["categories"]:
        t.add_row(f"[bold]{c['name']}[/bold]", f"[bold]{c['count']}[/bold]", str(c["target"]))
        for sc in c["subcategories"]:
            style = "" if sc["count"] >= min(15, sc["target"]) else "yellow"
            t.add_row(f"  {sc['name']}", f"[{style}]{sc['count']}[/{style}]" if style else str(sc["count"]), str(sc["target"]))
    console.print(t)
    spread = max(s["gold_letters"].values()) - min(s["gold_letters"].values()) if items else 0
    console.print(f"Gold letters: {s['gold_letters']} (spread {spread}); per category: {s['gold_letters_by_category']}")
    under = s["subcategories_under_15"]
    console.print(f"Subcategories with fewer than 15 items: {len(under)}" + (f" ({', '.join(under)})" if under else ""))
    console.print(f"Near-duplicate pairs: {len(s['near_duplicates'])}")
    console.print(f"Provenance: {s['provenance']}")
    console.print(f"Review status: {s['review_status']}")
    console.print(f"With rationale: {s['with_rationale']} of {s['items']}; with a review record: {s['with_review_record']} of {s['items']}")
    _print_validity(v, fresh)


def _print_validity(v: dict[str, Any] | None, fresh: bool) -> None:
    from akb.build.validity import dates, difficulty_summary, pct, trivia_summary, who

    if v is None:
        console.print("Validity: not measured (akb build validity)")
        return
    t = Table(title=f"Validity (measured {v['computed'][:10]}" + ("" if fresh else "; [yellow]on a different item set[/yellow]") + ")")
    for col in ("Figure", "Value", "n", "Verdict"):
        t.add_column(col, justify="right" if col in ("Value", "n") else "left")
    o, k, d, tr = v["options_only"], v["key_checks"], v["difficulty"], v["trivia"]
    t.add_row("Options only (question hidden)", pct(o["accuracy"]), str(o["n"]), v["verdicts"]["options_only"])
    t.add_row("Key checks (blind reviews agree with the key)", pct(k["accuracy"]), str(k["n"]), "- (not difficulty)")
    t.add_row("Difficulty (exam accuracy on the sample)", pct(d["accuracy"]), str(d["n"]), v["verdicts"]["difficulty"])
    t.add_row("Trivial or clued (sample)", pct(tr["rate"]), str(tr["n"]), v["verdicts"]["trivial"])
    t.add_row("Numeric key at an inner rank", pct(v["numeric_inner_rank"]["rate"]), str(v["numeric_inner_rank"]["n"]),
              v["verdicts"]["numeric_inner_rank"])
    t.add_row("Key uniquely longest", pct(v["key_uniquely_longest"]["rate"]), str(v["items"]), v["verdicts"]["key_uniquely_longest"])
    t.add_row("Letters balanced (max spread)", str(v["letters"]["max_category_spread"]), str(v["items"]), v["verdicts"]["letters_balanced"])
    t.add_row("Subcategories >= 15", f"{v['subcategories']['at_least_15']}/{v['subcategories']['of']}", "", v["verdicts"]["subcategories"])
    t.add_row("Totals exact", "yes" if v["totals"]["exact"] else "no", str(v["items"]), v["verdicts"]["totals_exact"])
    t.add_row("Embedding baselines <= 30%", "", "", v["verdicts"]["embedding_baselines"])
    console.print(t)
    console.print(f"Options-only answered by: {who(o)}; dates {dates(o)}")
    console.print(f"Key checks by: {who(k)}; dates {dates(k)}; {len(k.get('disagreements', []))} disagreement(s) with the key")
    console.print(difficulty_summary(d))
    console.print(trivia_summary(tr))


@app.command()
def show(
    item_id: Annotated[str, typer.Argument(help="item id")],
    file: Annotated[Path | None, typer.Option("--file", help="items JSONL")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the raw JSON record")] = False,
) -> None:
    """Print one item with its key, rationale, provenance and review record."""
    from akb.core.errors import AkbError

    items = {i.id: i for i in load_items(file or default_items_path())}
    if item_id not in items:
        close = [k for k in items if item_id in k][:5]
        hint = f"; similar: {', '.join(close)}" if close else ""
        raise AkbError(f"no item with id {item_id!r}{hint}")
    it = items[item_id]
    if as_json:
        console.print_json(json.dumps(it.to_json()))
        return
    tax = load_taxonomy()
    console.print(f"[bold]{it.id}[/bold]  {tax.category_name(it.category)} / {tax.subcategory_name(it.category, it.subcategory)}")
    console.print(f"\n{it.question}\n")
    for letter, choice in zip("ABCD", it.choices, strict=True):
        mark = "[green]*[/green]" if letter == it.answer else " "
        console.print(f" {mark} ({letter}) {choice}")
    console.print(f"\n[bold]Answer[/bold]: {it.answer}    [bold]Rationale[/bold]: {it.rationale or '-'}")
    p = it.provenance
    console.print(f"[bold]Provenance[/bold]: {p.method} by {p.by}" + (f" ({p.generator})" if p.generator else ""))
    console.print(f"[bold]Review[/bold]: {it.review.status}")
    for r in it.review.reviews:
        console.print(f"  - {r.kind}{' ' + r.mode if r.mode else ''} {r.reviewer}{' (' + r.family + ')' if r.family else ''} at {r.at:%Y-%m-%d}: {r.verdict}"
                      + (f", blind answer {r.blind_answer}" if r.blind_answer else "") + (f" ({r.note})" if r.note else ""))


@app.command()
def release(
    version: Annotated[str, typer.Option(help="release version, e.g. 1.0.0")],
    file: Annotated[Path | None, typer.Option("--file", help="items JSONL (default: the shipped AKB-2000)")] = None,
    out: Annotated[Path | None, typer.Option(help="release folder (default dist/akb2000-vVERSION)")] = None,
    baselines: Annotated[bool, typer.Option("--baselines/--no-baselines", help="probe the random, position, embedding and options-only baselines for the card")] = True,
    hf_name: Annotated[str | None, typer.Option(help="Hub dataset name for the card's load_dataset lines (default: this folder)")] = None,
    license_id: Annotated[str, typer.Option("--license", help="license id for the card")] = "cc-by-4.0",
    allow_incomplete: Annotated[bool, typer.Option("--allow-incomplete", help="release although categories are short of their totals")] = False,
    update_readme: Annotated[Path | None, typer.Option("--update-readme", help="rewrite the baseline figures in this README from the card's")] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress")] = False,
) -> None:
    """Write a versioned release: JSONL, dataset card, datasets configs, lm-eval and inspect_ai tasks."""
    from akb.build.release import (
        build_release,
        data_file,
        release_commands,
        update_readme_baselines,
    )
    from akb.runs.baselines import run_baselines

    path = file or default_items_path()
    items = load_items(path)
    dest = out or Path("dist") / f"akb2000-v{version}"
    base = run_baselines(path, Path("runs") / "release-baselines" / version, progress=not no_progress) if baselines else None
    from akb.build.validity import load_validity
    from akb.core.paths import data_path

    cl_path = data_path("changelog.json")
    changelog = json.loads(cl_path.read_text()) if cl_path.exists() else None
    res = build_release(items, load_taxonomy(), version=version, out=dest, baselines=base, hf_name=hf_name,
                        license_id=license_id, allow_incomplete=allow_incomplete, validity=load_validity(),
                        changelog=changelog)
    for w in res.warnings:
        console.print(f"[yellow]warning[/yellow]: {w}")
    if update_readme is not None:
        if base is None:
            raise typer.BadParameter("--update-readme needs the baselines (leave out --no-baselines)")
        update_readme_baselines(update_readme, base)
        console.print(f"baseline figures in {update_readme} rewritten from the card")
    console.print(f"AKB-2000 v{version}: {len(items)} items -> {dest}/{data_file(version)}")
    console.print(f"card {dest}/README.md (exact commands per mode); from the release folder:")
    for line in release_commands(dest):
        console.print(f"  {line}", highlight=False, soft_wrap=True)
