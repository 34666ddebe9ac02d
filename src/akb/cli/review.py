"""``akb review``: human verification of items in a local web page, or through Label Studio."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from akb.cli.common import console

app = typer.Typer(help="Human verification: review items blind in a local page, measure agreement, "
                       "adjudicate, merge decisions into the items.", no_args_is_help=True)

DbOpt = Annotated[Path, typer.Option("--db", help="review database (SQLite) holding items under review and decisions")]
RequiredOpt = Annotated[int, typer.Option("--required", min=1,
                                          help="agreeing human reviewers an item needs to be settled (2 for a release)")]
DEFAULT_DB = Path("review.sqlite")


def _csv(value: str | None) -> frozenset[str] | None:
    return frozenset(v.strip() for v in value.split(",") if v.strip()) if value else None


def _store(db: Path) -> Any:
    from akb.review.store import ReviewStore

    return ReviewStore(db)


def _items_into(store: Any, file: Path | None) -> int:
    """Load FILE into the store; without FILE keep what the store holds (or the shipped set)."""
    from akb.bench.loader import default_items_path, load_items

    if file is None and store.items():
        return len(store.items())
    path = file or default_items_path()
    items = load_items(path)
    store.set_items(items, source=str(path))
    return len(items)


def _check_port(port: int) -> None:
    """Refused before anything is opened: a TCP port is 0 (pick a free one) to 65535."""
    from akb.core.errors import ConfigError

    if not 0 <= port <= 65535:
        raise ConfigError(f"--port: {port} is not a TCP port (0 to 65535; 0 picks a free one)")


def _serve(store: Any, mode: str, reviewer: str | None, port: int, flt: Any, required: int) -> None:
    from akb.core.errors import ConfigError, MissingDependencyError

    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise MissingDependencyError("starlette/uvicorn", "review", "the review web page") from None
    from akb.review.server import ReviewConfig, ReviewServer

    try:
        server = ReviewServer(store, ReviewConfig(mode=mode, reviewer=reviewer, flt=flt, required=required), port=port)  # type: ignore[arg-type]
    except ValueError as e:
        raise ConfigError(f"--reviewer: {e}") from None
    except OSError as e:
        raise ConfigError(f"cannot listen on 127.0.0.1:{port}: {e.strerror}") from None
    console.print(f"Open [bold]{server.login_url}[/bold]", soft_wrap=True, highlight=False)
    console.print("(the token in the URL is the access key to this page; Ctrl-C stops the server)")
    server.serve_forever()


@app.command("serve")
def serve(
    file: Annotated[Path | None, typer.Argument(help="items JSONL to review (default: the set already in --db, "
                                                     "else the shipped AKB-2000)")] = None,
    db: DbOpt = DEFAULT_DB,
    reviewer: Annotated[str | None, typer.Option(help="your reviewer id (else the page asks once)")] = None,
    port: Annotated[int, typer.Option(help="port on 127.0.0.1; 0 picks a free one")] = 0,
    categories: Annotated[str | None, typer.Option(help="only these categories (comma-separated)")] = None,
    status: Annotated[str | None, typer.Option(help="only items with these review statuses (comma-separated)")] = None,
    max_reviews: Annotated[int | None, typer.Option(help="skip items already decided by this many other reviewers")] = None,
) -> None:
    """Serve the review queue on 127.0.0.1 and print its URL with a one-off access token."""
    from akb.review.queue import QueueFilter, review_queue

    _check_port(port)
    store = _store(db)
    n = _items_into(store, file)
    flt = QueueFilter(_csv(categories), _csv(status), max_reviews)
    console.print(f"{n} items under review from {store.items_source()} (decisions in {db})")
    if reviewer:
        todo, progress = review_queue(store, reviewer, flt)
        console.print(f"{reviewer}: {len(todo)} to do, {progress.done} of {progress.total} decided")
    _serve(store, "review", reviewer, port, flt, 1)


@app.command("adjudicate")
def adjudicate(
    db: DbOpt = DEFAULT_DB,
    reviewer: Annotated[str | None, typer.Option(help="the adjudicator's id (else the page asks once)")] = None,
    port: Annotated[int, typer.Option(help="port on 127.0.0.1; 0 picks a free one")] = 0,
    categories: Annotated[str | None, typer.Option(help="only these categories (comma-separated)")] = None,
    as_list: Annotated[bool, typer.Option("--list", help="print the disagreements instead of serving the page")] = False,
) -> None:
    """Settle disagreements (verdicts, blind answers or edits that differ) in the same page."""
    from akb.core.errors import ConfigError
    from akb.review.queue import QueueFilter, adjudication_queue

    _check_port(port)

    store = _store(db)
    if not store.items():
        raise ConfigError(f"{db} holds no items under review; start with akb review serve FILE --db {db}")
    flt = QueueFilter(_csv(categories))
    queue = adjudication_queue(store, 1, flt)
    if as_list:
        for it, c in queue:
            console.print(f"[bold]{it.id}[/bold]: {'; '.join(c.reasons)}", highlight=False)
        console.print(f"{len(queue)} items await adjudication")
        return
    console.print(f"{len(queue)} items await adjudication")
    _serve(store, "adjudicate", reviewer, port, flt, 1)


@app.command("status")
def status(
    db: DbOpt = DEFAULT_DB,
    required: RequiredOpt = 1,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Counts per state and reviewer, and agreement (raw, Cohen's and Fleiss' kappa)."""
    from akb.review.report import status_report

    rep = status_report(_store(db), required)
    if as_json:
        console.print_json(json.dumps(rep))
        return
    console.print(f"[bold]{rep['db']}[/bold]: {rep['items']} items under review from {rep['items_source']}, "
                  f"{rep['decisions']} decisions; an item is settled by {required} agreeing reviewer(s)")
    console.print("States: " + ", ".join(f"{k} {v}" for k, v in rep["states"].items()))
    console.print("Settled outcomes: " + ", ".join(f"{k} {v}" for k, v in rep["outcomes"].items()))
    t = Table(title="Reviewers (latest decision per item)")
    for col in ("reviewer", "decided", "accept", "edit", "reject", "blind answers", "blind = key"):
        t.add_column(col, justify="left" if col == "reviewer" else "right")
    for r in rep["reviewers"]:
        share = f"{r['blind_on_key']} ({r['blind_on_key'] / r['blind']:.0%})" if r["blind"] else "-"
        t.add_row(r["reviewer"], str(r["decided"]), str(r["accept"]), str(r["edit"]), str(r["reject"]), str(r["blind"]), share)
    console.print(t)
    for dim, table in rep["agreement"].items():
        t = Table(title=f"Agreement on {dim.replace('_', ' ')}")
        for col in ("reviewers", "measure", "items", "raw agreement", "kappa", "note"):
            t.add_column(col)
        rows = [*table["pairs"], *([table["overall"]] if table["overall"] and len(rep["reviewers"]) > 2 else [])]
        for a in rows:
            t.add_row(" + ".join(a["raters"]), a["measure"], str(a["n_items"]),
                      "-" if a["raw"] is None else f"{a['raw']:.1%}",
                      "-" if a["kappa"] is None else f"{a['kappa']:.3f}", a["note"] or "")
        console.print(t)
    if rep["disagreements"]:
        console.print(f"{len(rep['disagreements'])} items await adjudication: akb review adjudicate --db {db}")


@app.command("merge")
def merge(
    out: Annotated[Path, typer.Option("--out", help="where to write the items with their review records")],
    file: Annotated[Path | None, typer.Argument(help="items JSONL to merge into (default: the set in --db)")] = None,
    db: DbOpt = DEFAULT_DB,
    required: RequiredOpt = 1,
    drop_rejected: Annotated[bool, typer.Option("--drop-rejected", help="leave rejected items out of --out")] = False,
) -> None:
    """Write items with the human decisions merged into their review records (validated)."""
    from akb.bench.loader import load_items
    from akb.review.merge import merge_decisions, write_items

    store = _store(db)
    items = load_items(file) if file else [s.item for s in store.items()]
    if not items:
        from akb.core.errors import ConfigError

        raise ConfigError(f"no items: pass FILE, or review some with akb review serve FILE --db {db}")
    merged, report = merge_decisions(items, store.decisions(), required=required)
    if drop_rejected:
        merged = [it for it in merged if it.review.status != "rejected"]
    written = write_items(merged, out)
    for item_id, who in report.stale:
        console.print(f"[yellow]stale[/yellow] {item_id}: {who} decided an earlier version; not applied", highlight=False)
    console.print(f"{len(written)} items -> {out}: {report.summary()}")


@app.command("export-labelstudio")
def export_labelstudio(
    out: Annotated[Path, typer.Argument(help="tasks JSON to import into a Label Studio project")],
    file: Annotated[Path | None, typer.Option("--file", help="items JSONL (default: the set in --db, else the shipped AKB-2000)")] = None,
    db: DbOpt = DEFAULT_DB,
    categories: Annotated[str | None, typer.Option(help="only these categories (comma-separated)")] = None,
    status: Annotated[str | None, typer.Option(help="only items with these review statuses (comma-separated)")] = None,
) -> None:
    """Export items as Label Studio tasks, with the labeling config beside them (*.labelstudio.xml)."""
    from akb.review.labelstudio import export_tasks
    from akb.review.queue import QueueFilter

    store = _store(db)
    _items_into(store, file)
    flt = QueueFilter(_csv(categories), _csv(status))
    items = [s.item for s in store.items() if flt.admits(s)]
    tasks, config = export_tasks(items, out)
    console.print(f"{len(items)} tasks -> {tasks}; labeling config -> {config} "
                  "(paste it into the project's Settings > Labeling Interface > Code)")


@app.command("import-labelstudio")
def import_labelstudio(
    export: Annotated[Path, typer.Argument(help="the project's export in Label Studio's JSON format")],
    db: DbOpt = DEFAULT_DB,
    user: Annotated[list[str] | None, typer.Option("--user", help="ID_OR_EMAIL=REVIEWER: name a Label Studio user (repeatable)")] = None,
) -> None:
    """Import Label Studio annotations as decisions (re-importing the same export adds nothing)."""
    from akb.core.errors import ConfigError
    from akb.review.labelstudio import parse_export

    users = {}
    for u in user or []:
        if "=" not in u:
            raise ConfigError(f"--user {u!r}: expected ID_OR_EMAIL=REVIEWER")
        k, v = u.split("=", 1)
        users[k.strip()] = v.strip()
    report = parse_export(export, users)
    store = _store(db)
    added = store.add_many(report.decisions)
    known = {s.id for s in store.items()}
    unknown = sorted({d.item_id for d in report.decisions} - known) if known else []
    console.print(f"{added} new decisions from {export} ({len(report.decisions) - added} already imported, "
                  f"{report.cancelled} skipped annotations, {report.unannotated} tasks without annotations)")
    if unknown:
        console.print(f"[yellow]{len(unknown)} decided items are not under review in {db}[/yellow] "
                      f"(e.g. {unknown[0]}); load their file with --file on merge")


@app.command("import-db")
def import_db(
    other: Annotated[Path, typer.Argument(help="another reviewer's review database")],
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Copy the decisions of another review database into --db (idempotent)."""
    from akb.core.errors import DataError

    if not other.is_file():
        raise DataError("file not found", file=other)
    store = _store(db)
    added = store.import_from(_store(other))
    console.print(f"{added} new decisions from {other} -> {db}")
