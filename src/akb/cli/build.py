"""``akb build``: generate, check and assemble benchmark items."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from akb.cli.common import console

app = typer.Typer(help="Construct AKB items: procedural generation, LLM drafting, checks, assembly.", no_args_is_help=True)


@app.command("generators")
def generators() -> None:
    """List the procedural generators and the subcategory each fills."""
    from akb.build.procedural.base import all_generators

    for g in sorted(all_generators().values(), key=lambda g: g.id):
        console.print(f"{g.id:32s} {g.category}/{g.subcategory:28s} {g.source}")


@app.command("procedural")
def procedural(
    generator: Annotated[str, typer.Option("--generator", "-g", help="generator id (see akb build generators)")],
    n: Annotated[int, typer.Option(help="how many items")] = 10,
    seed: Annotated[int, typer.Option(help="seed; same seed, same items")] = 0,
    out: Annotated[Path, typer.Option(help="staging JSONL to append to")] = Path("staging/procedural.jsonl"),
) -> None:
    """Generate items with computed keys into a staging file."""
    from akb.build.procedural import generate
    from akb.build.staging import procedural_item
    from akb.core.jsonl import JsonlAppender

    drafts = generate(generator, n, seed=seed)
    with JsonlAppender(out) as w:
        for i, d in enumerate(drafts):
            w.write(procedural_item(d, i + seed * 100000).to_json())
    console.print(f"{len(drafts)} items from {generator} -> {out}")


@app.command("check")
def check(
    file: Annotated[Path | None, typer.Argument(help="items JSONL (default: the shipped AKB-2000)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Schema, banned options, rationales, near-duplicates, recomputed keys, balance."""
    from akb.bench.loader import default_items_path, load_items
    from akb.build.checks import check_items, release_stats

    items = load_items(file or default_items_path())
    problems = check_items(items)
    stats = release_stats(items)
    if as_json:
        console.print_json(json.dumps({"problems": [p.__dict__ for p in problems], "stats": stats}))
    else:
        for p in problems:
            console.print(f"[red]{p.check}[/red] {p.item_id}: {p.message}")
        for cat, s in stats.items():
            console.print(f"{cat}: {s}")
        console.print(f"{len(items)} items, {len(problems)} problems")
    if problems:
        raise typer.Exit(1)


@app.command("assemble")
def assemble(
    add: Annotated[list[Path], typer.Option("--add", help="staging JSONL to merge (repeatable, in order)")],
    base: Annotated[Path | None, typer.Option(help="existing benchmark (default: the shipped AKB-2000)")] = None,
    out: Annotated[Path | None, typer.Option(help="where to write (default: over --base)")] = None,
    fill_to_targets: Annotated[bool, typer.Option("--fill-to-targets", help="stop adding to a subcategory at its taxonomy target")] = False,
    salt: Annotated[str, typer.Option(help="salt of the deterministic option order")] = "akb-1",
) -> None:
    """Merge staged items, give them ids, balance gold letters per category, write."""
    from akb.bench.loader import default_items_path, load_items
    from akb.bench.taxonomy import load_taxonomy
    from akb.build.assemble import balance, merge
    from akb.core.jsonl import write_json_atomic

    base_path = base or default_items_path()
    base_items = load_items(base_path)
    staged = [it for p in add for it in load_items(p)]
    tax = load_taxonomy()
    targets = {(c.id, s.id): s.target for c in tax.categories for s in c.subcategories} if fill_to_targets else None
    merged, skipped = merge(base_items, staged, targets=targets)
    final = balance(merged, salt=salt)
    text = "".join(json.dumps(i.to_json(), ensure_ascii=False) + "\n" for i in sorted(final, key=lambda i: i.id))
    dest = out or base_path
    write_json_atomic(dest, text)
    load_items(dest)  # the written file must validate
    reasons: dict[str, int] = {}
    for _, why in skipped:
        reasons[why] = reasons.get(why, 0) + 1
    console.print(f"{len(final)} items -> {dest} (added {len(merged) - len(base_items)}, skipped {reasons or 0})")
