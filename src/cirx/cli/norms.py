"""``cirx assess``, ``cirx responses ...``, ``cirx countries profile`` and ``cirx stats escalation``.

Importing this module adds ``profile`` and ``import-capacity`` to the
``countries`` group and ``escalation``, ``rivalries`` and ``dyad-trends`` to
the ``stats`` group; :mod:`cirx.cli` registers ``assess`` and ``responses``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cirx.analysis.norms import frameworks, trends
from cirx.analysis.norms.service import NormsService
from cirx.cli.common import DbOption, JsonOption, console, handles_errors, platform, print_json
from cirx.cli.incidents import (
    Actor,
    Initiator,
    Receiver,
    Sector,
    Since,
    Text,
    Type,
    Until,
    _filter,
    stats_app,
)
from cirx.cli.records import countries_app
from cirx.errors import InvalidInput

responses_app = typer.Typer(help="State and international responses to incidents, on the escalation ladder.",
                            no_args_is_help=True)

Threshold = Annotated[str, typer.Option(help="ICD 203 likelihood a State attribution must reach (e.g. likely, "
                                             "very-likely).")]
Out = Annotated[Path | None, typer.Option("--out", "-o", help="Also write the rows to a .csv or .parquet file.")]


def service(db: str | None) -> NormsService:
    """The norms service of the command's store (as the local administrator)."""
    cirx = platform(db)
    return NormsService(cirx.engine, cirx.reader)


def _print_assessment(result: dict[str, Any]) -> None:
    console.print(f"[bold]{result['name']}[/bold] ({', '.join(result['external_ids']) or result['incident']})",
                  highlight=False)
    attribution = result["attribution"]
    console.print(f"attribution: {attribution['state'] or 'no State'}"
                  f"{' (' + attribution['likelihood'] + ')' if attribution['likelihood'] else ''}; "
                  f"bar {attribution['threshold']}", highlight=False)
    table = Table(title="international law")
    for column in ("rule", "status", "because"):
        table.add_column(column)
    for rule, status in result["international_law"].items():
        table.add_row(rule, status, "; ".join(result["international_law_because"][rule]))
    console.print(table)
    console.print(f"lawful responses: [bold]{result['response_justification']}[/bold] - "
                  f"{'; '.join(result['response_justification_because'])}", highlight=False)
    table = Table(title="UN GGE 2015 norms and Budapest Convention offences")
    for column in ("item", "status", "because"):
        table.add_column(column)
    for section in ("norms", "budapest"):
        for item, value in result[section].items():
            mark = f" (judged by {value['judged_by']})" if value.get("judged_by") else ""
            table.add_row(item, value["status"] + mark, "; ".join(value["because"]))
    console.print(table)
    for override in result["overrides"]:
        console.print(f"{override['kind']}: {override['subject']} = {override['status']} (computed "
                      f"{override['computed']}) by {override['author']}", highlight=False)


@handles_errors
def assess(
    incident: Annotated[str | None, typer.Argument(help="Incident: STIX id or SOURCE:ID (eurepoc:947).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Assess every incident.")] = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="With --all: one JSON line per incident.")] = False,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Confirm or override: SUBJECT=STATUS, e.g. "
                                                   "13f=not_implicated, international_law.sovereignty=implicated.")] = None,
    author: Annotated[str | None, typer.Option("--by", help="Who judges (required with --set).")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (kept with the judgement).")] = None,
    threshold: Threshold = "likely", db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Assess an incident under international law, the 11 UN norms and the Budapest Convention."""
    norms = service(db)
    if all_:
        counts: dict[str, int] = {}
        for each in norms.assess_all(threshold=threshold):
            if jsonl:
                sys.stdout.write(json.dumps(each, ensure_ascii=False) + "\n")
            counts[each["response_justification"]] = counts.get(each["response_justification"], 0) + 1
        if as_json and not jsonl:
            print_json(counts)
        elif not jsonl:
            console.print(f"response justification: {counts}", highlight=False)
        return
    if not incident:
        raise InvalidInput("name an incident (eurepoc:947) or give --all")
    result: dict[str, Any] | None = None
    for item in set_ or ():
        subject, _, status = item.partition("=")
        if not status or not author:
            raise InvalidInput("--set takes SUBJECT=STATUS and needs --by NAME")
        result = norms.judge(incident, subject, status, author=author, reason=reason, threshold=threshold)
    result = result or norms.assess(incident, threshold=threshold)
    if as_json:
        print_json(result)
    else:
        _print_assessment(result)



@countries_app.command("profile")
@handles_errors
def profile(
    iso: Annotated[str | None, typer.Argument(help="ISO 3166-1 code (UA) or a name.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every country the incidents name.")] = False,
    out: Out = None, threshold: Threshold = "likely", db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """A state's profile as initiator and receiver: incidents, norms, responses, Budapest status, capacity."""
    norms = service(db)
    if all_:
        found = norms.profiles(threshold=threshold)
        if out:
            trends.export(list(found.values()), out)
        if as_json:
            print_json(found)
        else:
            console.print(f"{len(found)} country profiles", highlight=False)
        return
    if not iso:
        raise InvalidInput("name a country (UA) or give --all")
    country = norms.profile(iso, threshold=threshold)
    if out:
        trends.export([country], out)
    if as_json:
        print_json(country)
        return
    budapest = country["budapest_convention"]
    console.print(f"[bold]{country['name']}[/bold] ({country['iso2']}): Budapest Convention "
                  f"{budapest['status']}{' since ' + budapest['in_force'] if budapest.get('in_force') else ''}",
                  highlight=False)
    for side in ("as_initiator", "as_receiver"):
        data = country[side]
        console.print(f"{side.replace('_', ' ')}: {data['incidents']} incidents; norms implicated "
                      f"{data['norms_implicated'] or 'none'}", highlight=False)
    console.print(f"responses given {country['responses_given']['count']}, received "
                  f"{country['responses_received']['count']}; capacity {country['capacity'] or 'not imported'}",
                  highlight=False)


@countries_app.command("import-capacity")
@handles_errors
def import_capacity(
    path: Annotated[Path, typer.Argument(help="CSV with a country column and one column per index.")],
    edition: Annotated[str, typer.Option(help="Edition of the scores (e.g. 2020).")],
    index: Annotated[list[str] | None, typer.Option("--index", help="NAME=COLUMN, e.g. gci='GCI (The Global "
                                                    "Cyber Security Index)'; default: columns starting GCI, NCSI, CEI, DDL.")] = None,
    country_column: Annotated[str, typer.Option(help="The column naming the country.")] = "Country",
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Import capacity scores (ITU GCI, NCSI...) for country profiles and norm 13(g)."""
    columns = dict(item.split("=", 1) for item in index or ())
    if not columns:
        with path.open(encoding="utf-8-sig") as handle:
            header = handle.readline().strip().split(",")
        columns = {name.lower(): h for h in header for name in ("GCI", "NCSI", "CEI", "DDL") if h.startswith(name)}
    report = service(db).repository.import_capacity(path, edition=edition, columns=columns,
                                                   country_column=country_column)
    if as_json:
        print_json(report)
        return
    console.print(f"{report['scores']} scores for {report['countries']} countries; not recognised: "
                  f"{', '.join(report['unknown_countries']) or 'none'}", highlight=False)


@stats_app.command("escalation")
@handles_errors
def escalation(
    min_rank: Annotated[int, typer.Option(help="Lowest ladder rank that counts (7 = expulsions, 8 = "
                                               "sanctions, 9 = countermeasures).")] = 7,
    within: Annotated[int, typer.Option(help="Days after the incident's start.")] = 365,
    initiator: Initiator = None, receiver: Receiver = None, type_: Type = None, sector: Sector = None,
    actor: Actor = None, since: Since = None, until: Until = None, text: Text = None,
    out: Out = None, db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Share of incidents followed by a response of rank >= K within N days, overall and per dyad."""
    where = _filter(initiator, receiver, type_, sector, actor, since, until, text)
    result = service(db).escalation(where, min_rank=min_rank, within_days=within)
    if out:
        trends.export(result["dyads"], out)
    if as_json:
        print_json(result)
        return
    console.print(f"{result['followed']} of {result['incidents']} incidents followed by a response of rank >= "
                  f"{min_rank} within {within} days ({(result['share'] or 0):.1%})", highlight=False)
    _table("dyads", result["dyads"][:25], ("states", "incidents", "followed", "share"))


@stats_app.command("rivalries")
@handles_errors
def rivalries(
    top: Annotated[int | None, typer.Option(help="Only the N pairs with most incidents.")] = None,
    initiator: Initiator = None, receiver: Receiver = None, type_: Type = None, sector: Sector = None,
    since: Since = None, until: Until = None, out: Out = None, db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """State pairs with the most incidents in either direction (DCID's dyads)."""
    where = _filter(initiator, receiver, type_, sector, None, since, until, None)
    rows = service(db).rivalries(where, top=top)
    if out:
        trends.export(rows, out)
    _show(rows, as_json, "rivalries", ("states", "incidents", "by_initiator", "first_year", "last_year"))


@stats_app.command("dyad-trends")
@handles_errors
def dyad_trends(
    initiator: Initiator = None, receiver: Receiver = None, type_: Type = None, sector: Sector = None,
    since: Since = None, until: Until = None,
    intensity: Annotated[bool, typer.Option(help="Also the mean and maximum intensity.")] = True,
    out: Out = None, db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Who targets whom: directed dyads by year, type and intensity."""
    where = _filter(initiator, receiver, type_, sector, None, since, until, None)
    rows = service(db).dyad_trends(where, intensity=intensity)
    if out:
        trends.export(rows, out)
    _show(rows, as_json, "dyads", ("initiator", "receiver", "incidents", "years", "intensity_mean"))


@responses_app.command("list")
@handles_errors
def list_responses(
    incident: Annotated[str | None, typer.Option(help="An incident's timeline (STIX id or SOURCE:ID).")] = None,
    dyad: Annotated[str | None, typer.Option(help="A dyad's timeline, either direction (US-RU).")] = None,
    out: Out = None, db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """The response timeline of an incident or a dyad (or of everything)."""
    rows = service(db).responses(incident=incident, dyad=dyad)
    if out:
        trends.export(rows, out)
    _show(rows, as_json, "responses", ("date", "rank", "type", "actor", "actor_country", "target_country", "source"))


@responses_app.command("add")
@handles_errors
def add_response(
    type_: Annotated[str, typer.Option("--type", help="Ladder id, e.g. resp-10 or resp-10-targeted-sanctions.")],
    author: Annotated[str, typer.Option("--by", help="Who records it.")],
    incident: Annotated[str | None, typer.Option(help="The incident it answers.")] = None,
    date: Annotated[str | None, typer.Option(help="YYYY-MM-DD.")] = None,
    actor: Annotated[str | None, typer.Option(help="Who responded (ministry, agency, EU Council...).")] = None,
    actor_country: Annotated[str | None, typer.Option(help="The responding state.")] = None,
    target: Annotated[str | None, typer.Option(help="The state the response is aimed at.")] = None,
    outcome: Annotated[str | None, typer.Option(help="For a request: granted, refused, unanswered, "
                                                     "pending.")] = None,
    source_url: Annotated[str | None, typer.Option(help="Where it is documented.")] = None,
    note: Annotated[str | None, typer.Option(help="Free text.")] = None,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Record a response (a démarche, an attribution, sanctions, a request for assistance...)."""
    saved = service(db).add_response({"type": type_, "incident": incident, "date": date, "actor": actor,
                                      "actor_country": actor_country, "target_country": target, "outcome": outcome,
                                      "source_url": source_url, "note": note}, author=author)
    if as_json:
        print_json(saved)
    else:
        console.print(f"recorded {saved['id']}: {saved['label']} (rank {saved['rank']})", highlight=False)


@responses_app.command("types")
@handles_errors
def response_types(as_json: JsonOption = False) -> None:
    """The response ladder, least escalatory first."""
    rows = [{"id": r.id, "rank": r.rank, "label": r.label, "legal_category": r.legal_category}
            for r in frameworks.ladder().values()]
    _show(rows, as_json, "response ladder", ("rank", "id", "label", "legal_category"))


@responses_app.callback()
def _responses() -> None:
    """State and international responses to incidents, on the escalation ladder."""


def _show(rows: list[dict[str, Any]], as_json: bool, title: str, columns: tuple[str, ...]) -> None:
    if as_json:
        print_json(rows)
    else:
        _table(title, rows, columns)


def _table(title: str, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    console.print(table)
