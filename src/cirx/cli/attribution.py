"""``cirx attribute`` and ``cirx eval attribution``: who could be behind an incident, and how well cirx knows.

    cirx attribute eurepoc:947                      # a stored incident, with its official attribution records
    cirx attribute --evidence evidence.json --json  # {"techniques": [...], "software": [...], ...}
    cirx eval attribution [--fit]                   # P1 and P2 for cirx and both baselines, in one run
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cirx.cli.common import DbOption, JsonOption, console, handles_errors, platform, print_json, progress_bar
from cirx.errors import InvalidInput


@handles_errors
def attribute(
    incident: Annotated[str | None, typer.Argument(help="A stored incident: STIX id or SOURCE:ID (eurepoc:947).")] = None,
    evidence: Annotated[Path | None, typer.Option("--evidence", help="Evidence as JSON: {\"techniques\": "
                                                  "[...], \"software\": [...], \"victim_countries\": [...], "
                                                  "\"sectors\": [...], \"indicators\": [...], \"date\": ..., "
                                                  "\"notes\": ...}.")] = None,
    explain: Annotated[int, typer.Option(help="Show the evidence for and against the top N hypotheses.")] = 3,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rank candidate groups, states and "unknown / new actor", with probability, ICD 203 term and confidence."""
    from cirx.analysis.attribution.service import AttributionService

    if (incident is None) == (evidence is None):
        raise InvalidInput("give an incident (cirx attribute eurepoc:947) or --evidence FILE.json, not both")
    service = AttributionService(platform(db).reader)
    if evidence is not None:
        try:
            data = json.loads(evidence.read_text())
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"cannot read evidence {evidence}: {exc}") from exc
        result = service.attribute(data)
    else:
        result = service.attribute_incident(str(incident))
    if as_json:
        print_json(result)
        return
    _print_result(result, explain)


def _print_result(result: dict[str, Any], explain: int) -> None:
    if "incident" in result:
        console.print(f"[bold]{result['incident']['name']}[/bold] ({result['incident']['id']})", highlight=False)
    actors = [h for h in result["hypotheses"] if h["kind"] != "state"]
    states = [h for h in result["hypotheses"] if h["kind"] == "state"]
    for title, rows in (("Who", actors), ("Which state", states)):
        table = Table(title=title)
        for column in ("hypothesis", "ATT&CK", "state", "probability", "ICD 203", "confidence"):
            table.add_column(column, justify="right" if column == "probability" else "left")
        for h in rows:
            table.add_row(h["name"], h.get("attack_id") or "", h.get("country") or "", f"{h['probability']:.1%}",
                          h["estimative"], h["confidence"])
        if rows:
            console.print(table)
    for h in actors[:explain]:
        console.print(f"[bold]{h['name']}[/bold] ({h['probability']:.0%}, {h['estimative']})", highlight=False)
        for sign, entries in (("+", h["for"]), ("-", h["against"])):
            for entry in entries[:6]:
                console.print(f"  {sign} {entry.get('name') or entry['evidence']}: {entry['detail']}",
                              highlight=False, markup=False, soft_wrap=True)
    for caveat in result["caveats"]:
        console.print(f"[yellow]caveat[/yellow] ({caveat['kind']}): {caveat['message']}", highlight=False,
                      soft_wrap=True)
    if result.get("agreement"):
        console.print(f"[bold]attribution records[/bold]: {result['agreement']['summary']}", highlight=False,
                      soft_wrap=True)
        for record in result.get("attribution_records", []):
            by, to = record["attributed_by"], record["attributed_to"]
            console.print(f"  {record['date'] or '?'} {by.get('name') or by.get('kind')}: "
                          f"{to.get('actor_name') or to.get('group') or ''} {to.get('state') or ''} "
                          f"({record['confidence'] or 'no stated confidence'}; {', '.join(record['basis']) or 'no stated basis'})",
                          highlight=False, markup=False, soft_wrap=True)


@handles_errors
def eval_attribution(
    db: DbOption = None,
    split: Annotated[int, typer.Option(help="P2: profiles from reports before this year, cases from it on.")] = 2022,
    folds: Annotated[int, typer.Option(help="P1: folds for fitting cirx's model out of sample.")] = 5,
    fit: Annotated[bool, typer.Option("--fit", help="Also refit the shipped calibration on every case and "
                                      "write it (see --calibration-out).")] = False,
    calibration_out: Annotated[Path | None, typer.Option(help="Where --fit writes (default: the calibration "
                                                         "file shipped with cirx).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Leak-free evaluation on the ATT&CK data in the store: cirx, TF-IDF and Naive Bayes in one run.

    P1 leaves each cited report out of every profile before attributing it; P2 builds
    profiles from reports before --split and attributes reports from --split on (actors
    first seen later are expected as "unknown").  Reports top-1/5/10, MRR, ECE, Brier,
    log-loss, accuracy per ICD 203 band and country-level top-1.
    """
    from cirx.analysis.attribution.calibration import save_calibration
    from cirx.analysis.attribution.evaluate import run
    from cirx.analysis.attribution.profiles import build_knowledge

    knowledge = build_knowledge(platform(db).reader, incidents=False, indicators=False)
    if not knowledge.cited().links:
        raise InvalidInput("the store holds no cited group-technique links: import ATT&CK first "
                           "(cirx import stix enterprise-attack.json)")
    with progress_bar("attributing held-out reports") as advance:
        result = run(knowledge, split=split, folds=folds, fit=fit, progress=advance)
    if fit:
        result["calibration_written"] = str(save_calibration(result.pop("calibration"), calibration_out))
    if as_json:
        print_json(result)
        return
    _print_evaluation(result)


def _print_evaluation(result: dict[str, Any]) -> None:
    data = result["data"]
    console.print(f"{data['actors_with_profiles']} actors, {data['cited_reports']} cited reports, "
                  f"{data['links']} cited links (+{data['text_links']} from cited description text)",
                  highlight=False)
    for key in ("P1", "P2"):
        protocol = result[key]
        table = Table(title=f"{protocol['protocol']}: {protocol['cases']} cases")
        for column in ("system", "top-1", "top-5", "top-10", "MRR", "ECE", "Brier", "log-loss", "country top-1"):
            table.add_column(column, justify="left" if column == "system" else "right")
        for name, s in protocol["systems"].items():
            country = s["country"]["top1"]
            table.add_row(name, *(f"{s[m]:.3f}" for m in ("top1", "top5", "top10", "mrr", "ece", "brier", "log_loss")),
                          f"{country:.3f}" if country is not None else "-")
        console.print(table)
        cirx_summary = protocol["systems"]["cirx"]
        reference = cirx_summary["if_calibrated"]
        bands = Table(title=f"{key}: accuracy per ICD 203 band (cirx, hypotheses from 1%)")
        for column in ("band", "stated", "hypotheses", "mean p", "observed", "95% interval", "inside",
                       "if calibrated"):
            bands.add_column(column)
        for band in cirx_summary["bands"]:
            chance = reference["band_inside_chance"].get(band["band"])
            bands.add_row(band["band"], band["stated"], str(band["hypotheses"]),
                          "-" if band["mean_probability"] is None else f"{band['mean_probability']:.3f}",
                          "-" if band["observed"] is None else f"{band['observed']:.3f}",
                          "-" if band["ci95"] is None else f"{band['ci95'][0]:.3f}-{band['ci95'][1]:.3f}",
                          "-" if band["inside"] is None else ("yes" if band["inside"] else "no"),
                          "-" if chance is None else f"{chance:.0%} inside")
        console.print(bands)
        console.print(f"{key}: cirx's ECE {cirx_summary['ece']:.3f}; a perfectly calibrated system on these cases "
                      f"would show {reference['ece_median']:.3f} (median) to {reference['ece_p95']:.3f} (95th "
                      f"percentile) by chance ({reference['draws']} draws of the truth from its probabilities), "
                      f"and have every judged band inside in {reference['all_bands_inside_chance']:.0%} of draws",
                      highlight=False)
    if "calibration_written" in result:
        console.print(f"calibration written to {result['calibration_written']}", highlight=False)
