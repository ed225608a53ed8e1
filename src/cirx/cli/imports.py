"""``cirx import ...``: STIX bundles, MISP events, the knowledge base, IR datasets, CSV/XLSX.

``--org``, ``--tlp``, ``--share-with``, ``--recipient`` and ``--anonymous``
say who contributes an import and who may see it (TLP 2.0, see
:meth:`cirx.services.imports.ImportService.access`); without ``--org`` the
platform itself contributes, as TLP:CLEAR unless ``--tlp`` says otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cirx.cli.common import DbOption, JsonOption, handles_errors, platform, print_report, progress_bar
from cirx.platform import Platform
from cirx.store.writer import ImportAccess

app = typer.Typer(help="Import STIX bundles, MISP events, the offline knowledge base and IR datasets.",
                  no_args_is_help=True)

OrgOption = Annotated[str | None, typer.Option(
    "--org", help="Contribute as this organisation (its default TLP unless --tlp is given).")]
TlpOption = Annotated[str | None, typer.Option(
    "--tlp", help="TLP 2.0 level of objects without a marking: clear, green, amber, amber+strict, red.")]
ShareOption = Annotated[list[str] | None, typer.Option(
    "--share-with", help="Share TLP:AMBER objects with this sharing group (repeatable; needs --org).")]
RecipientOption = Annotated[list[str] | None, typer.Option(
    "--recipient", help="Share with this organisation by name (repeatable; TLP:RED needs it; needs --org).")]
AnonymousOption = Annotated[bool, typer.Option(
    "--anonymous", help="Withhold the victim's identity and show the organisation's pseudonym (needs --org).")]


def _access(cirx: Platform, org: str | None, tlp: str | None, share_with: list[str] | None,
            recipients: list[str] | None, anonymous: bool) -> ImportAccess:
    """The import's contributor and audience from the sharing options."""
    return cirx.imports.access(org, tlp=tlp, share_with=share_with or (), recipients=recipients or (),
                               anonymous=anonymous)


@app.command("stix")
@handles_errors
def import_stix(
    source: Annotated[str, typer.Argument(help="A bundle file, a directory of .json bundles, or - for stdin.")],
    org: OrgOption = None, tlp: TlpOption = None, share_with: ShareOption = None,
    recipient: RecipientOption = None, anonymous: AnonymousOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import STIX 2.0/2.1 bundles (2.0 is upgraded); each file all-or-nothing."""
    cirx = platform(db)
    access = _access(cirx, org, tlp, share_with, recipient, anonymous)
    with progress_bar(f"importing {source}") as advance:
        reports = cirx.imports.stix(source, advance, access)
    for report in reports:
        print_report(report, as_json)


@app.command("misp")
@handles_errors
def import_misp(
    source: Annotated[Path, typer.Argument(
        help="A MISP event JSON file, a restSearch response, or a directory of them (a MISP feed).")],
    org: OrgOption = None, tlp: TlpOption = None, share_with: ShareOption = None,
    recipient: RecipientOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import MISP events (converted to STIX 2.1 by misp-stix); tlp:* tags mark them; each file all-or-nothing."""
    cirx = platform(db)
    access = _access(cirx, org, tlp, share_with, recipient, anonymous=False)
    with progress_bar(f"importing {source}") as advance:
        reports = cirx.imports.misp(source, advance, access)
    for report in reports:
        print_report(report, as_json)


@app.command("galaxy")
@handles_errors
def import_galaxy(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Load the offline knowledge base (MISP galaxies and taxonomies from registry packages)."""
    with progress_bar("loading the knowledge base") as advance:
        report = platform(db).imports.knowledge_base(advance)
    print_report(report, as_json)


def _dataset_command(name: str, what: str) -> None:
    @app.command(name, help=f"Import {what} from its file or folder; all-or-nothing, re-runs add nothing.")
    @handles_errors
    def command(
        path: Annotated[Path, typer.Argument(help="The dataset's file or folder.")],
        org: OrgOption = None, tlp: TlpOption = None, share_with: ShareOption = None,
        recipient: RecipientOption = None, anonymous: AnonymousOption = False,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        cirx = platform(db)
        access = _access(cirx, org, tlp, share_with, recipient, anonymous)
        with progress_bar(f"importing {name}") as advance:
            report = cirx.imports.dataset(name, path, advance, access=access)
        print_report(report, as_json)


_dataset_command("eurepoc", "the European Repository of Cyber Incidents (EuRepoC)")
_dataset_command("cfr", "the CFR Cyber Operations Tracker")
_dataset_command("dcid", "the Dyadic Cyber Incident and Dispute Dataset (DCID 2.0)")


@app.command("csv")
@handles_errors
def import_csv(
    path: Annotated[Path, typer.Argument(help="A CSV or XLSX file.")],
    mapping: Annotated[Path, typer.Option("--mapping", "-m", help="Mapping file: columns to fields, value maps.")],
    org: OrgOption = None, tlp: TlpOption = None, share_with: ShareOption = None,
    recipient: RecipientOption = None, anonymous: AnonymousOption = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a CSV/XLSX file of incidents, driven by a mapping file."""
    cirx = platform(db)
    access = _access(cirx, org, tlp, share_with, recipient, anonymous)
    with progress_bar(f"importing {path.name}") as advance:
        report = cirx.imports.rows(path, mapping, advance, access=access)
    print_report(report, as_json)
