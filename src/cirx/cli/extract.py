"""``cirx extract FILE``, ``cirx extract train``, ``cirx drafts ...`` and ``cirx eval extraction``."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from cirx.cli.common import DbOption, JsonOption, console, errors, handles_errors, platform, print_json
from cirx.errors import InvalidInput


class _DefaultToRun(TyperGroup):
    """``cirx extract FILE`` runs ``cirx extract run FILE``; ``cirx extract train`` trains."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_DefaultToRun, no_args_is_help=True,
                  help="Extract techniques, indicators and entities from a threat report into a draft incident.")
drafts_app = typer.Typer(help="Drafts from extraction: list, show, edit, confirm or reject.", no_args_is_help=True)

Format = Annotated[str | None, typer.Option("--format", help="text, html, markdown or pdf (default: sniffed).")]


@app.command("run")
@handles_errors
def run(
    file: Annotated[str, typer.Argument(help="Report file (text, HTML, Markdown, PDF) or - for stdin.")],
    db: DbOption = None, as_json: JsonOption = False, fmt: Format = None,
    draft: Annotated[bool, typer.Option(help="Save a draft incident for an analyst to confirm.")] = True,
) -> None:
    """Extract from a report; saves a draft incident unless --no-draft."""
    from cirx.extract.draft import DraftStore, build_bundle
    from cirx.extract.service import Extractor
    from cirx.extract.text import read_document

    cirx = platform(db)
    document = read_document(file, fmt)
    extraction = Extractor.for_platform(cirx).extract(document)
    result = extraction.as_dict()
    if draft:
        saved = DraftStore(cirx.settings.data_dir / "drafts").create(extraction, build_bundle(extraction, cirx.reader))
        result["draft"] = saved["id"]
    if as_json:
        print_json(result)
        return
    _print_extraction(result)


def _print_extraction(result: dict[str, Any]) -> None:
    console.print(f"[bold]{result['source']}[/bold] ({result['format']}, {result['characters']} characters)",
                  highlight=False)
    for title, rows, columns in (
        ("techniques", result["techniques"], ("id", "name", "score", "evidence")),
        ("indicators", result["indicators"], ("type", "value")),
        ("entities", result["entities"], ("type", "text", "id")),
    ):
        table = Table(title=f"{title} ({len(rows)})")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows[:200]:
            table.add_row(*(str(row.get(c, ""))[:160] for c in columns))
        console.print(table)
    if "draft" in result:
        console.print(f"draft {result['draft']} saved: review with 'cirx drafts show {result['draft']}', "
                      f"then 'cirx drafts confirm {result['draft']}' or 'cirx drafts reject {result['draft']}'",
                      highlight=False)


@app.command("train")
@handles_errors
def train(
    db: DbOption = None,
    tram: Annotated[Path | None, typer.Option(help="TRAM 2 annotated reports (tram2_train_docs.json).")] = None,
    tram_sentences: Annotated[Path | None, typer.Option(help="TRAM 2 single-label sentences (JSON).")] = None,
    attack: Annotated[Path | None, typer.Option(help="An ATT&CK STIX bundle (default: the store's ATT&CK).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Train the technique model from the store's ATT&CK data and the annotated files you have."""
    from cirx.extract.corpora import read_tram_reports, read_tram_sentences
    from cirx.extract.evaluate import _tram_examples
    from cirx.extract.service import _ATTACK_TYPES, STORE_ONLY_THRESHOLD, model_path
    from cirx.extract.techniques import DEFAULT_THRESHOLD, TechniqueModel, attack_examples

    cirx = platform(db)
    objects = _bundle_objects(attack) if attack else cirx.reader.iter_latest(_ATTACK_TYPES, include_revoked=False)
    examples, names = attack_examples(objects, negatives=tram is None)
    if not names:
        raise InvalidInput("no ATT&CK techniques: run 'cirx init', import the ATT&CK bundle or give --attack")
    reports = read_tram_reports(tram) if tram else []
    single = read_tram_sentences(tram_sentences) if tram_sentences else []
    tram_examples = _tram_examples(reports, single) if reports else []
    model = TechniqueModel.train(tram_examples + examples, names, min_examples=1,
                                 threshold=DEFAULT_THRESHOLD if reports else STORE_ONLY_THRESHOLD)
    model.info["source"] = "ATT&CK" + (" + TRAM" if reports else "")
    path = model_path(cirx)
    model.save(path)
    summary = {"model": str(path), **model.info, "threshold": model.threshold}
    if as_json:
        print_json(summary)
    else:
        console.print(f"trained on {summary['examples']} examples ({summary['source']}): "
                      f"{summary['techniques']} techniques; saved to {path}", highlight=False)


def _bundle_objects(path: Path) -> list[dict[str, Any]]:
    from cirx.model.stix import iter_bundle

    with path.open("rb") as stream:
        return [obj for obj, _size in iter_bundle(stream, str(path))]


# -- drafts -----------------------------------------------------------------------------------------

def _drafts(db: str | None) -> Any:
    from cirx.extract.draft import DraftStore

    return DraftStore(platform(db).settings.data_dir / "drafts")


@drafts_app.command("list")
@handles_errors
def list_drafts(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List drafts, newest first."""
    rows = _drafts(db).entries()
    if as_json:
        print_json(rows)
        return
    table = Table(title="drafts")
    for column in ("id", "status", "created", "source", "objects"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[c]) for c in ("id", "status", "created", "source", "objects")))
    console.print(table)


@drafts_app.command("show")
@handles_errors
def show_draft(draft_id: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show a draft: what was found and the bundle that confirming would import."""
    draft = _drafts(db).get(draft_id)
    if as_json:
        print_json(draft)
        return
    console.print(f"draft {draft['id']} ({draft['status']}) from {draft['source']}", highlight=False)
    _print_extraction(draft["extraction"])
    console.print(f"bundle: {len(draft['bundle']['objects'])} objects", highlight=False)


@drafts_app.command("edit")
@handles_errors
def edit_draft(
    draft_id: str,
    remove: Annotated[list[str] | None, typer.Option(help="Drop an object: STIX id, indicator value or ATT&CK id.")] = None,
    bundle: Annotated[Path | None, typer.Option(help="Replace the draft's bundle with this edited STIX bundle.")] = None,
    db: DbOption = None,
) -> None:
    """Edit a pending draft."""
    replacement = json.loads(bundle.read_text(encoding="utf-8")) if bundle else None
    draft = _drafts(db).edit(draft_id, remove=list(remove or []), bundle=replacement)
    console.print(f"draft {draft_id}: {len(draft['bundle']['objects'])} objects", highlight=False)


@drafts_app.command("confirm")
@handles_errors
def confirm_draft(draft_id: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Import a draft into the shared record (all of it or none of it)."""
    cirx = platform(db)
    from cirx.extract.draft import DraftStore

    store = DraftStore(cirx.settings.data_dir / "drafts")
    draft = store.get(draft_id)
    if draft["status"] != "draft":
        raise InvalidInput(f"draft {draft_id} is already {draft['status']}")
    stream = io.BytesIO(json.dumps(draft["bundle"]).encode("utf-8"))
    report = cirx.imports.stix_stream(stream, f"draft {draft_id}")
    store.set_status(draft_id, "confirmed")
    if as_json:
        print_json(report.as_dict())
    else:
        console.print(f"draft {draft_id} confirmed: {report.imported} objects imported, "
                      f"{report.unchanged} unchanged", highlight=False)


@drafts_app.command("reject")
@handles_errors
def reject_draft(draft_id: str, db: DbOption = None) -> None:
    """Reject a draft: nothing of it enters the shared record."""
    _drafts(db).set_status(draft_id, "rejected")
    console.print(f"draft {draft_id} rejected", highlight=False)


@drafts_app.command("evidence")
@handles_errors
def draft_evidence(draft_id: str, db: DbOption = None) -> None:
    """Print a draft's evidence (techniques, software, groups...) for the attribution workbench, as JSON."""
    from cirx.extract.draft import workbench_evidence

    print_json(workbench_evidence(_drafts(db).get(draft_id)))


# -- evaluation -------------------------------------------------------------------------------------

@handles_errors
def eval_extraction(
    tram: Annotated[Path | None, typer.Option(help="TRAM folder (tram2_train_docs.json, single_label_train.json).")] = None,
    tram_test: Annotated[Path | None, typer.Option(help="Held-out TRAM reports (JSON); default: k-fold by report.")] = None,
    attack: Annotated[Path | None, typer.Option(help="ATT&CK STIX bundle (default: the store's ATT&CK).")] = None,
    annoctr: Annotated[Path | None, typer.Option(help="AnnoCTR folder (ner_json, linking_mitre_only, splits.tsv).")] = None,
    annoctr_split: Annotated[str, typer.Option(help="AnnoCTR split to score entities on.")] = "dev",
    ioc_gold: Annotated[Path | None, typer.Option(help="IoC gold suite (JSON).")] = None,
    folds: Annotated[int, typer.Option(min=2, max=20, help="Folds for cross-validation by report.")] = 5,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Evaluate extraction: techniques (cirx vs baseline), entities, indicators."""
    from cirx.extract import evaluate as ev
    from cirx.extract.corpora import read_tram_reports, read_tram_sentences
    from cirx.extract.entities import build_gazetteer
    from cirx.extract.service import _ATTACK_TYPES, _NAME_TYPES
    from cirx.extract.techniques import attack_examples

    cirx = platform(db)
    results: dict[str, Any] = {}
    if ioc_gold:
        results["indicators"] = ev.evaluate_iocs(ioc_gold)
    if annoctr:
        gazetteer = build_gazetteer(cirx.reader.iter_latest(_NAME_TYPES, include_revoked=False))
        results["entities"] = ev.evaluate_entities(annoctr, gazetteer, annoctr_split)
    if tram:
        objects = _bundle_objects(attack) if attack else cirx.reader.iter_latest(_ATTACK_TYPES)
        examples, names = attack_examples(objects, negatives=False)
        reports = read_tram_reports(tram / "tram2_train_docs.json")
        sentences_file = tram / "single_label_train.json"
        single = read_tram_sentences(sentences_file) if sentences_file.is_file() else []
        test = read_tram_reports(tram_test) if tram_test else None
        trainers = {"cirx": ev.cirx_trainer(examples, names), "baseline": ev.baseline_trainer}
        results["techniques"] = ev.evaluate_techniques(
            trainers, reports, single, test=test, folds=folds,
            progress=lambda note: errors.print(note, highlight=False))
    if not results:
        raise InvalidInput("nothing to evaluate: give --tram, --annoctr and/or --ioc-gold")
    if as_json:
        print_json(results)
        return
    sys.stdout.write(json.dumps(results, indent=2) + "\n")
