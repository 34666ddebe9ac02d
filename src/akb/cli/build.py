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
    option_rules: Annotated[bool | None, typer.Option("--option-rules/--no-option-rules",
                                                      help="apply the v0.2 option-set checks (default: when the file carries meta.siblings)")] = None,
    same_fact: Annotated[bool, typer.Option("--same-fact", help="also warn of pairs that may ask the same fact in other "
                                                                "words (sentence embeddings; needs the embed extra)")] = False,
) -> None:
    """Schema, banned options, rationales, near-duplicates, recomputed keys, balance, and the
    option-set rule: siblings, hedges, stem words, option lengths, numeric key ranks, longest key."""
    from akb.bench.loader import default_items_path, load_items
    from akb.build.checks import (
        check_items,
        option_rules_apply,
        option_set_stats,
        release_stats,
        same_fact_problems,
    )

    items = load_items(file or default_items_path())
    applied = option_rules_apply(items) if option_rules is None else option_rules
    found = check_items(items, option_rules=applied, warnings=True)
    if same_fact:
        from akb.models.embedding import EmbeddingBackend

        found += same_fact_problems(items, EmbeddingBackend().encode)
    problems = [p for p in found if p.severity == "error"]
    stats = release_stats(items)
    option_stats = option_set_stats(items)
    if as_json:
        console.print_json(json.dumps({"problems": [p.__dict__ for p in found], "stats": stats,
                                       "option_set": option_stats, "option_rules": applied}))
    else:
        for p in found:
            colour = "red" if p.severity == "error" else "yellow"
            console.print(f"[{colour}]{p.check}[/{colour}] {p.item_id}: {p.message}")
        for cat, s in stats.items():
            console.print(f"{cat}: {s}")
        console.print(f"option set: {option_stats}")
        if not applied:
            console.print("[yellow]option-set rules not applied[/yellow] (no item carries meta.siblings: a v0.1 file); "
                          "--option-rules applies them")
        console.print(f"{len(items)} items, {len(problems)} problems, {len(found) - len(problems)} warnings")
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


@app.command("generate")
def generate_cmd(
    model: Annotated[str, typer.Option("--model", "-m", help="BACKEND:NAME that writes the drafts")],
    category: Annotated[str, typer.Option(help="category id")],
    subcategory: Annotated[str, typer.Option(help="subcategory id")],
    n: Annotated[int, typer.Option(help="questions to ask for")] = 10,
    exemplars: Annotated[int, typer.Option(help="items of the subcategory shown as examples")] = 3,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server")] = None,
    option: Annotated[list[str] | None, typer.Option("--option", "-o", help="backend option KEY=VALUE")] = None,
    out: Annotated[Path, typer.Option(help="staging JSONL to append drafts to")] = Path("staging/generated.jsonl"),
) -> None:
    """Draft items for one subcategory with any LLM backend; rejected fragments are logged."""
    from akb.bench.loader import load_items
    from akb.bench.taxonomy import load_taxonomy
    from akb.build.generate import build_request, parse_reply, to_items
    from akb.cli.common import parse_options
    from akb.core.errors import BackendError, ConfigError
    from akb.core.jsonl import JsonlAppender, iter_jsonl
    from akb.models.registry import create_backend
    from akb.models.spec import parse_model_spec
    from akb.runs.engine import CachingBackend, open_response_cache

    tax = load_taxonomy()
    if not tax.has(category, subcategory):
        raise ConfigError(f"unknown subcategory {category}/{subcategory}")
    pool = [i for i in load_items() if i.category == category and i.subcategory == subcategory]
    opts = parse_options(option or [])
    if base_url:
        opts["base_url"] = base_url
    cfg = parse_model_spec(model, **opts)
    backend = create_backend(cfg)
    req = build_request(tax, category, subcategory, n, pool[:exemplars])
    caching = CachingBackend(backend, open_response_cache(), "generate")
    try:
        resp = caching.generate([req])[0]
    finally:
        caching.close()
    if resp.error:
        raise BackendError(f"{cfg.spec}: {resp.error}")
    drafts, rejected = parse_reply(resp.text)
    start = sum(1 for _ in iter_jsonl(out)) if out.exists() else 0
    items = to_items(drafts, category=category, subcategory=subcategory, model=cfg.spec, start=start)
    with JsonlAppender(out) as w:
        for it in items:
            w.write(it.to_json())
    if rejected:
        with JsonlAppender(out.with_suffix(".rejected.jsonl")) as w:
            for r in rejected:
                w.write({"subcategory": f"{category}/{subcategory}", "reason": r.reason, "fragment": r.fragment})
                console.print(f"[yellow]rejected[/yellow]: {r.reason}: {r.fragment[:80]!r}")
    console.print(f"{len(items)} drafts -> {out}; {len(rejected)} rejected")


@app.command("review")
def review_cmd(
    file: Annotated[Path, typer.Argument(help="items JSONL to review")],
    model: Annotated[str, typer.Option("--model", "-m", help="reviewer BACKEND:NAME (must not be the writer)")],
    out: Annotated[Path, typer.Option(help="where to write the items with their new review records")],
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server")] = None,
    option: Annotated[list[str] | None, typer.Option("--option", "-o", help="backend option KEY=VALUE")] = None,
    run_dir: Annotated[Path | None, typer.Option(help="run directory of the blind answers (resumable)")] = None,
    options_only: Annotated[bool, typer.Option("--options-only", help="hide the questions: the model answers from the "
                                                                     "options alone; a correct answer flags the item")] = False,
    exam: Annotated[bool, typer.Option("--exam", help="the model is an examinee: it answers the stratified sample "
                                                      "(--sample, --seed) as the probe does; its answers are exam "
                                                      "reviews, the difficulty figure")] = False,
    sample: Annotated[int | None, typer.Option(help="--exam: size of the stratified sample (300 or more to be measured)")] = None,
    seed: Annotated[int, typer.Option(help="--exam: seed of the sample")] = 0,
    family: Annotated[str | None, typer.Option(help="--exam: the examinee's model family (default: from --model)")] = None,
) -> None:
    """Blind key review by a model: it answers each item without the key; agreement makes a
    draft or auto-checked item 'model-reviewed', disagreement flags it for a person. With
    --exam the model sits the difficulty exam instead (the status never changes)."""
    from akb.build.blind import reviewer_family, writer_families
    from akb.cli.common import parse_options
    from akb.core.errors import ConfigError
    from akb.core.jsonl import write_json_atomic
    from akb.models.spec import parse_model_spec
    from akb.runs.review import run_model_exam, run_model_review

    cfg = parse_model_spec(model, **({"base_url": base_url} if base_url else {}), **parse_options(option or []))
    if exam:
        if options_only:
            raise ConfigError("--exam and --options-only are different reviews: give one")
        if sample is None:
            raise ConfigError("an exam is a stratified sample: give --sample N (300 or more to be measured) and --seed")
        rd = run_dir or out.with_name(out.stem + ".exam-run")
        done, missed, label = run_model_exam(file, cfg, rd, sample=sample, seed=seed, family=family)
        write_json_atomic(out, "".join(json.dumps(i.to_json(), ensure_ascii=False) + "\n" for i in done))
        for it in missed:
            console.print(f"[yellow]missed[/yellow] {it.id}: {it.review.reviews[-1].note}")
        fam = reviewer_family(cfg.spec, "model", family)
        if fam in writer_families(done):
            console.print(f"[yellow]{cfg.spec} is of the writers' model family ({fam}): a model answering its own "
                          "family's items overstates how a strong model of another family scores[/yellow]")
        console.print(f"exam ({label}) answered -> {out}; {len(missed)} misses to adjudicate "
                      "(akb build packet --misses, then akb build adjudicate)")
        return
    rd = run_dir or out.with_name(out.stem + (".options-only-run" if options_only else ".review-run"))
    items, reviewed, disagreements = run_model_review(file, cfg, rd, options_only=options_only)
    write_json_atomic(out, "".join(json.dumps(i.to_json(), ensure_ascii=False) + "\n" for i in reviewed))
    if options_only:
        for it in disagreements:
            console.print(f"[yellow]options give it away[/yellow] {it.id}: key {it.answer} found without the question")
        console.print(f"{len(items)} answered from the options alone -> {out}; {len(disagreements)} flagged (rewrite them)")
        return
    for it in disagreements:
        console.print(f"[yellow]disagrees[/yellow] {it.id}: key {it.answer}, reviewer {it.review.reviews[-1].blind_answer or 'invalid'}")
    console.print(f"{len(items)} reviewed -> {out}; {len(disagreements)} disagreements to fix or drop")


@app.command("packet")
def packet_cmd(
    file: Annotated[Path, typer.Argument(help="items JSONL with shuffled options")],
    out: Annotated[Path, typer.Option(help="packet JSONL for the reviewer (no keys, no rationales)")],
    options_only: Annotated[bool, typer.Option("--options-only", help="ids and the four options only, no question: "
                                                                     "can the options alone tell the key?")] = False,
    exam: Annotated[bool, typer.Option("--exam", help="an exam for an examinee: id, question and options, as a test "
                                                      "taker sees them (the difficulty figure); needs --sample")] = False,
    trivia: Annotated[bool, typer.Option("--trivia", help="id, question, options and the key letter: does common sense "
                                                          "or a clue in the stem give the key? needs --sample")] = False,
    misses: Annotated[bool, typer.Option("--misses", help="for an adjudicator: the exam misses not yet ruled on, with "
                                                          "key, rationale and the examinees' answers")] = False,
    sample: Annotated[int | None, typer.Option(help="a stratified sample of this many items (per category in proportion, "
                                                    "at least 30 each) instead of every item")] = None,
    seed: Annotated[int, typer.Option(help="seed of the sample")] = 0,
) -> None:
    """Export a packet for a reviewer outside akb: blind key check (default), options-only,
    exam, trivia, or the exam misses to adjudicate."""
    from akb.bench.loader import load_items
    from akb.build.blind import make_packet, stratified_sample
    from akb.build.exam import sample_label
    from akb.core.errors import ConfigError
    from akb.core.jsonl import write_json_atomic

    if options_only + exam + trivia + misses > 1:
        raise ConfigError("--options-only, --exam, --trivia and --misses are different packets: give one")
    if (exam or trivia) and sample is None:
        raise ConfigError("an --exam or --trivia packet is a stratified sample: give --sample N (300 or more to be "
                          "measured) and --seed")
    items = load_items(file)
    if misses:
        from akb.build.exam import misses_packet

        rows = misses_packet(items)
        write_json_atomic(out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        console.print(f"{len(rows)} exam misses to adjudicate -> {out}; rulings come back as JSONL lines "
                      '{"id", "verdict": "key-stands"|"fix", "note"} (akb build adjudicate --from)')
        return
    if sample is not None:
        items = stratified_sample(items, sample, seed=seed)
    mode = "options-only" if options_only else "exam" if exam else "trivia" if trivia else "blind"
    rows = make_packet(items, mode=mode)  # type: ignore[arg-type]
    write_json_atomic(out, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    what = {"options-only": "options-only packet (no questions)", "blind": "blind key-check packet",
            "exam": "exam packet", "trivia": "trivia packet (with keys)"}[mode]
    line = ('{"id", "trivial": true|false, "reason"}' if trivia else
            '{"id", "answer", "confidence", "note"}' if exam else '{"id", "answer", "note", "flag", "confidence"}')
    console.print(f"{len(rows)} items -> {out} ({what}" + (f", {sample_label(sample, seed)}" if sample is not None else "")
                  + f"); answers come back as JSONL lines {line}")


@app.command("answers")
def answers_cmd(
    file: Annotated[Path, typer.Argument(help="the items JSONL the packet was made from")],
    answers: Annotated[Path, typer.Argument(help="the reviewer's answers JSONL")],
    reviewer: Annotated[str, typer.Option(help="who answered (a model spec or a person's id)")],
    out: Annotated[Path, typer.Option(help="items with the new review records")],
    kind: Annotated[str, typer.Option(help="model or human")] = "model",
    options_only: Annotated[bool, typer.Option("--options-only", help="the answers are to an options-only packet: "
                                                                     "a confident correct answer flags the item")] = False,
    exam: Annotated[bool, typer.Option("--exam", help="the answers are an examinee's, to an --exam packet: recorded as "
                                                      "exam reviews (the difficulty figure); misses await adjudication")] = False,
    trivia: Annotated[bool, typer.Option("--trivia", help="the lines are trivia judgements {id, trivial, reason} to a "
                                                          "--trivia packet")] = False,
    sample: Annotated[int | None, typer.Option(help="--exam/--trivia: the --sample the packet was made with")] = None,
    seed: Annotated[int, typer.Option(help="--exam/--trivia: the --seed the packet was made with")] = 0,
    family: Annotated[str | None, typer.Option(help="model family of a model reviewer (default: from the reviewer spec)")] = None,
) -> None:
    """Import blind key-check answers (agreement marks a draft model-reviewed, disagreement
    flags it), options-only answers (a confident correct answer flags the item), exam answers
    or trivia judgements (these two measure the benchmark: the status never changes)."""
    from akb.bench.loader import load_items
    from akb.build.blind import apply_blind_answers, model_family, read_answers
    from akb.build.exam import (
        apply_exam_answers,
        apply_trivia,
        check_sample,
        read_trivia,
        sample_label,
    )
    from akb.core.errors import ConfigError
    from akb.core.jsonl import write_json_atomic

    if kind not in ("model", "human"):
        raise ConfigError("--kind must be 'model' or 'human'")
    if options_only + exam + trivia > 1:
        raise ConfigError("--options-only, --exam and --trivia are different packets: give one")
    if (exam or trivia) and sample is None:
        raise ConfigError("exam and trivia answers belong to a stratified sample: give the --sample and --seed of the packet")
    items = load_items(file)
    if reviewer in {i.provenance.by for i in items}:
        raise ConfigError(f"{reviewer} wrote some of these items; a blind review needs someone else")
    if kind == "model" and not (family or model_family(reviewer)):
        raise ConfigError(f"cannot tell the model family of {reviewer!r}: pass --family")
    if exam or trivia:
        assert sample is not None
        got = read_trivia(answers) if trivia else read_answers(answers)
        sampled = check_sample(items, list(got), n=sample, seed=seed)
        label = sample_label(sample, seed)
        if trivia:
            done, flagged = apply_trivia(items, got, reviewer=reviewer, kind=kind, sample=label, family=family)  # type: ignore[arg-type]
        else:
            done, flagged = apply_exam_answers(items, got, reviewer=reviewer, kind=kind, sample=label, family=family)  # type: ignore[arg-type]
        write_json_atomic(out, "".join(json.dumps(i.to_json(), ensure_ascii=False) + "\n" for i in done))
        for it in flagged:
            console.print(f"[yellow]{'trivial' if trivia else 'missed'}[/yellow] {it.id}: {it.review.reviews[-1].note}")
        missing = len(sampled) - len(got)
        what = "trivial or clued" if trivia else "misses to adjudicate (akb build adjudicate)"
        console.print(f"{len(got)} of {len(sampled)} sampled items ({label}) -> {out}; {len(flagged)} {what}"
                      + (f"; [yellow]{missing} sampled items without an answer[/yellow]" if missing else ""))
        return
    done, flagged = apply_blind_answers(items, read_answers(answers), reviewer=reviewer, kind=kind,  # type: ignore[arg-type]
                                        options_only=options_only, family=family)
    write_json_atomic(out, "".join(json.dumps(i.to_json(), ensure_ascii=False) + "\n" for i in done))
    for it in flagged:
        console.print(f"[yellow]flagged[/yellow] {it.id}: {it.review.reviews[-1].note}")
    what = "options alone give the key away" if options_only else "to fix or drop"
    console.print(f"{len(items)} items -> {out}; {len(flagged)} flagged ({what})")


@app.command("adjudicate")
def adjudicate_cmd(
    file: Annotated[Path, typer.Argument(help="items JSONL with the exam answers")],
    by: Annotated[str, typer.Option(help="who rules (a person's id or a model spec)")],
    item_id: Annotated[str | None, typer.Option("--id", help="the missed item")] = None,
    verdict: Annotated[str | None, typer.Option(help="key-stands (the note is the rationale) or fix (the item must be "
                                                     "rewritten; the miss stays open until it is)")] = None,
    note: Annotated[str | None, typer.Option(help="why the key stands, a rationale a specialist would accept; or what is wrong")] = None,
    rulings: Annotated[Path | None, typer.Option("--from", help="JSONL of rulings {id, verdict, note} instead of --id")] = None,
    kind: Annotated[str, typer.Option(help="human or model")] = "human",
    family: Annotated[str | None, typer.Option(help="model family of a model adjudicator (default: from --by)")] = None,
    out: Annotated[Path | None, typer.Option(help="where to write the items (default: FILE itself)")] = None,
) -> None:
    """Record a ruling on an exam miss: the key stands (with its rationale) or the item is to
    be fixed. A ruling never changes the review status."""
    from akb.bench.loader import load_items
    from akb.build.blind import model_family
    from akb.build.exam import Adjudication, apply_adjudications, read_adjudications
    from akb.core.errors import ConfigError
    from akb.core.jsonl import write_json_atomic

    if kind not in ("model", "human"):
        raise ConfigError("--kind must be 'model' or 'human'")
    if kind == "model" and not (family or model_family(by)):
        raise ConfigError(f"cannot tell the model family of {by!r}: pass --family")
    if (rulings is None) == (item_id is None):
        raise ConfigError("give either --id with --verdict and --note, or --from a JSONL of rulings")
    if rulings is not None:
        got = read_adjudications(rulings)
    else:
        from pydantic import ValidationError

        from akb.bench.loader import validation_to_data_error

        try:
            one = Adjudication.model_validate({"id": item_id, "verdict": verdict, "note": note})
            got = {one.id: one}
        except ValidationError as e:
            raise validation_to_data_error(e, file=None, line=None) from None
    items = load_items(file)
    done = apply_adjudications(items, got, by=by, kind=kind, family=family, source=rulings)  # type: ignore[arg-type]
    dest = out or file
    write_json_atomic(dest, "".join(json.dumps(i.to_json(), ensure_ascii=False) + "\n" for i in done))
    for a in got.values():
        console.print(f"{a.id}: {a.verdict} ({a.note})")
    console.print(f"{len(got)} ruling(s) by {by} -> {dest}")


@app.command("regen-procedural")
def regen_procedural_cmd(
    out: Annotated[Path, typer.Option(help="where to write the items (every item; procedural ones regenerated)")],
    file: Annotated[Path | None, typer.Argument(help="items JSONL (default: the shipped AKB-2000)")] = None,
    version: Annotated[str, typer.Option(help="the version the regenerated items go into (named in the review notes)")] = "0.4",
    changed_only: Annotated[bool, typer.Option("--changed-only", help="write only the items regeneration changed")] = False,
) -> None:
    """Give the procedural items sibling questions and, for numeric generators, new options
    with the key's rank spread evenly; ids, questions, parameters and keys stay."""
    from akb.bench.loader import default_items_path, load_items
    from akb.build.regen import regenerate_procedural
    from akb.core.jsonl import write_json_atomic

    items, rep = regenerate_procedural(load_items(file or default_items_path()), version=version)
    if changed_only:
        changed = {*rep.rewritten, *rep.options_regenerated, *rep.siblings_only}
        items = [i for i in items if i.id in changed]
    write_json_atomic(out, "".join(json.dumps(i.to_json(), ensure_ascii=False) + "\n" for i in items))
    console.print(f"{len(items)} items -> {out}: {json.dumps(rep.summary())}")


@app.command("merge-revisions")
def merge_revisions_cmd(
    out: Annotated[Path, typer.Option(help="where to write the merged items (may be the base file itself)")],
    revised: Annotated[list[Path] | None, typer.Argument(help="the writers' revision files (JSONL, e.g. /work/items/out/*.jsonl; "
                                                              "rows marked meta.revision, or meta.v02 from the v0.2 round); "
                                                              "none for a round of procedural rebuilds only")] = None,
    version: Annotated[str, typer.Option(help="the version this revision round makes (0.2, 0.3, ...)")] = "0.2",
    base: Annotated[Path | None, typer.Option(help="the released file (default: the shipped AKB-2000)")] = None,
    procedural: Annotated[Path | None, typer.Option(help="regenerated procedural items (akb build regen-procedural); "
                                                         "default: regenerate from the base now")] = None,
    changelog: Annotated[Path | None, typer.Option(help="JSON changelog to add this version's entry to "
                                                        "(default: changelog.json beside --out)")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="refuse to write when any problem is found")] = False,
    amend: Annotated[bool, typer.Option("--amend", help="a further round of a version already merged (the base is that "
                                                        "version): add its changes to the version's changelog entry "
                                                        "instead of replacing the entry")] = False,
) -> None:
    """Merge a revision round: new ids for replacements, rewritten items back to draft (old
    reviews kept with a note), procedural items regenerated (those of an outdated generator
    design rebuilt under the same id and key letter, as rewritten), totals and letters
    verified, and a changelog entry (changed ids, retired ids and why)."""
    from akb.bench.loader import default_items_path, load_items
    from akb.bench.taxonomy import load_taxonomy
    from akb.build.regen import regenerate_procedural
    from akb.build.revisions import (
        changelog_markdown,
        merge_revisions,
        read_revisions,
        update_changelog,
    )
    from akb.core.errors import DataError
    from akb.core.jsonl import write_json_atomic

    base_items = load_items(base or default_items_path())
    proc = load_items(procedural) if procedural else regenerate_procedural(base_items, version=version)[0]
    tax = load_taxonomy()
    res = merge_revisions(base_items, read_revisions(revised or []), proc, version=version,
                          totals={c.id: c.total for c in tax.categories})
    for p in res.problems:
        console.print(f"[yellow]problem[/yellow] {p}")
    if strict and res.problems:
        raise DataError(f"{len(res.problems)} problem(s); nothing written (drop --strict to write anyway)")
    write_json_atomic(out, "".join(json.dumps(i.to_json(), ensure_ascii=False) + "\n" for i in res.items))
    load_items(out)  # the written file must validate
    cl = changelog or out.with_name("changelog.json")
    procedural_ids = {i.id for i in res.items if i.provenance.method == "procedural"}
    if not amend and cl.exists() and any(e.get("version") == version for e in json.loads(cl.read_text())):
        console.print(f"[yellow]note[/yellow] the v{version} entry of {cl} is replaced by this round's "
                      "(--amend adds to it instead)")
    entries = update_changelog(cl, res.changelog, amend=amend, procedural=procedural_ids)
    write_json_atomic(cl, json.dumps(entries, indent=1, ensure_ascii=False) + "\n")
    write_json_atomic(cl.with_suffix(".md"), changelog_markdown(entries))
    console.print(f"{len(res.items)} items -> {out}; changelog {cl} (+ .md): {json.dumps(res.changelog['summary'])}; "
                  f"{len(res.problems)} problems")


@app.command("validity")
def validity_cmd(
    file: Annotated[Path | None, typer.Argument(help="items JSONL with their review records (default: the shipped AKB-2000)")] = None,
    out: Annotated[Path | None, typer.Option(help="where to store the figures (default: the package's akb/data/validity.json)")] = None,
    baselines_file: Annotated[Path | None, typer.Option("--baselines-file", help="baselines.json of a release (akb bench release)")] = None,
    baselines: Annotated[bool, typer.Option("--baselines/--no-baselines", help="probe the embedding and options-only embedding "
                                                                             "baselines now (needs the embedding model)")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Validity figures: options-only accuracy, key checks (blind reviews), difficulty (exam
    accuracy on the sample, misses and their adjudication), trivial or clued rate, numeric
    inner-rank rate, key-uniquely-longest rate, letters, subcategory sizes, totals, baselines."""
    from akb.bench.loader import default_items_path, load_items
    from akb.bench.taxonomy import load_taxonomy
    from akb.build.validity import VALIDITY_FILE, compute_validity
    from akb.core.jsonl import write_json_atomic
    from akb.core.paths import data_path

    path = file or default_items_path()
    items = load_items(path)
    base = None
    if baselines_file:
        base = json.loads(baselines_file.read_text())
    elif baselines:
        from akb.runs.baselines import run_baselines

        base = run_baselines(path, Path("runs") / "validity-baselines", progress=False)
    v = compute_validity(items, load_taxonomy(), baselines=base)
    dest = out or data_path(VALIDITY_FILE)
    write_json_atomic(dest, json.dumps(v, indent=1, ensure_ascii=False) + "\n")
    if as_json:
        console.print_json(json.dumps(v))
    else:
        from akb.build.validity import difficulty_summary, trivia_summary

        o, k, d, tr = v["options_only"], v["key_checks"], v["difficulty"], v["trivia"]
        console.print(f"options-only {o['accuracy']} (n={o['n']}), key checks {k['accuracy']} (n={k['n']}), "
                      f"difficulty (exam) {d['accuracy']} (n={d['n']}), trivial {tr['rate']} (n={tr['n']}), "
                      f"numeric inner rank {v['numeric_inner_rank']['rate']} (n={v['numeric_inner_rank']['n']}), "
                      f"key uniquely longest {v['key_uniquely_longest']['rate']}")
        console.print(difficulty_summary(d))
        for m in d["misses"]:
            adj = m["adjudication"]
            console.print(f"  miss {m['id']}: key {m['key']}, answered "
                          + ", ".join(f"{a['answer'] or 'none'} ({a['reviewer']})" for a in m["answers"])
                          + (f"; {adj['verdict']} by {adj['by']}: {adj['note']}" if adj else "; [yellow]not adjudicated[/yellow]"))
        console.print(trivia_summary(tr))
        console.print(f"verdicts: {v['verdicts']}")
    console.print(f"-> {dest}")
