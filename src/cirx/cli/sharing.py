"""``cirx org``, ``cirx token``, ``cirx group`` and ``cirx audit``: the sharing layer from the command line.

``cirx org password ORG USER`` sets the password a user signs in to the web
workspace with (prompted twice with hidden input, or ``--password-stdin``).

The command line acts as the local platform administrator: it creates
organisations, issues and revokes tokens, manages sharing groups and reads the
whole audit trail (:mod:`cirx.access.organisations`, :mod:`cirx.access.audit`).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from cirx.access.audit import event_objects
from cirx.access.policy import LOCAL_ADMIN, Role
from cirx.cli.common import DbOption, JsonOption, console, handles_errors, platform, print_json

org_app = typer.Typer(help="Organisations: CERTs, ministries, international organisations.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens: issue (shown once) and revoke.", no_args_is_help=True)
group_app = typer.Typer(help="Sharing groups: named sets of organisations (TLP:AMBER audiences).",
                        no_args_is_help=True)

ROLES = ", ".join(r.value for r in Role)


@org_app.command("create")
@handles_errors
def create_org(
    name: Annotated[str, typer.Argument(help="Unique name, e.g. CERT-EU.")],
    country: Annotated[str, typer.Option(help="ISO 3166 country code or name.")],
    sector: Annotated[str | None, typer.Option(help="Sector, e.g. government.")] = None,
    default_tlp: Annotated[str, typer.Option(help="TLP of its imports when none is given.")] = "amber",
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Register an organisation; its STIX identity and pseudonym are derived by the platform."""
    record = platform(db).organisations.create(name, country=country, sector=sector, default_tlp=default_tlp)
    if as_json:
        print_json(record.as_dict())
        return
    console.print(f"organisation {record.name} ({record.country}) created; default TLP:{record.default_tlp.upper()}",
                  highlight=False)


@org_app.command("list")
@handles_errors
def list_orgs(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List organisations (with their pseudonyms: the command line is the platform administrator)."""
    records = platform(db).organisations.all()
    if as_json:
        print_json([r.as_dict() for r in records])
        return
    table = Table(title=f"{len(records)} organisations")
    for column in ("name", "country", "sector", "default TLP", "pseudonym"):
        table.add_column(column)
    for r in records:
        table.add_row(r.name, r.country or "", r.sector or "", r.default_tlp, r.pseudonym)
    console.print(table)


@org_app.command("password")
@handles_errors
def set_password(
    org: Annotated[str, typer.Argument(help="The user's organisation.")],
    user: Annotated[str, typer.Argument(help="User name (created when new), e.g. alice@cert.ee.")],
    role: Annotated[str | None, typer.Option(help=f"Set the user's role: one of {ROLES} (new users: reader).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the password from the first line of stdin.")] = False,
    db: DbOption = None,
) -> None:
    """Set a user's password for signing in to the web workspace (asked twice, never shown; only its hash is kept)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    record = platform(db).organisations.set_password(org, user, password, role=role)
    console.print(f"password set for {record.name} of {org} (role {record.role}); sign in at /sharing",
                  highlight=False)


@token_app.command("create")
@handles_errors
def create_token(
    org: Annotated[str, typer.Option("--org", help="The user's organisation.")],
    role: Annotated[str, typer.Option(help=f"One of {ROLES}.")] = "reader",
    user: Annotated[str | None, typer.Option(help="User name (default: ROLE@ORG).")] = None,
    expires_days: Annotated[int, typer.Option(min=0, help="Days until it expires; 0: never.")] = 365,
    db: DbOption = None,
) -> None:
    """Issue a token; its details are printed first and the token alone on the last line (shown once)."""
    token, details = platform(db).organisations.create_token(org, role=role, user=user,
                                                             expires_days=expires_days or None)
    for key in ("organisation", "user", "role", "prefix", "expires"):
        typer.echo(f"{key}: {details[key] or 'never'}")
    typer.echo(token)


@token_app.command("revoke")
@handles_errors
def revoke_token(prefix: Annotated[str, typer.Argument(help="The token's prefix (cirx_...) or the token.")],
                 db: DbOption = None) -> None:
    """Revoke the active tokens with this prefix."""
    count = platform(db).organisations.revoke_token(prefix)
    typer.echo(f"revoked {count} token(s) {prefix[:12]}")


@group_app.command("create")
@handles_errors
def create_group(
    name: Annotated[str, typer.Argument(help="Unique name, e.g. 'EU CSIRTs Network'.")],
    member: Annotated[list[str] | None, typer.Option("--member", help="Member organisation (repeatable).")] = None,
    description: Annotated[str | None, typer.Option(help="What the group is for.")] = None,
    db: DbOption = None,
) -> None:
    """Create a sharing group, with member organisations."""
    platform(db).organisations.create_group(name, description=description, members=member or [])
    console.print(f"sharing group {name} created with {len(member or [])} member(s)", highlight=False)


@group_app.command("add")
@handles_errors
def add_member(name: Annotated[str, typer.Argument(help="The sharing group.")],
               org: Annotated[str, typer.Argument(help="The organisation to add.")],
               db: DbOption = None) -> None:
    """Add an organisation to a sharing group."""
    platform(db).organisations.add_member(name, org)
    console.print(f"{org} added to {name}", highlight=False)


@group_app.command("list")
@handles_errors
def list_groups(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List sharing groups and their members."""
    groups = platform(db).organisations.groups()
    if as_json:
        print_json(groups)
        return
    table = Table(title=f"{len(groups)} sharing groups")
    for column in ("name", "members", "description"):
        table.add_column(column)
    for g in groups:
        table.add_row(g["name"], ", ".join(g["members"]), g["description"] or "")
    console.print(table)


@handles_errors
def show_audit(
    limit: Annotated[int, typer.Option(min=1, help="How many events, newest first.")] = 50,
    action: Annotated[str | None, typer.Option(help="Only this action (read, search, export, import...).")] = None,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Show the audit trail: who read, searched, exported or imported what (as platform administrator)."""
    cirx = platform(db)
    events = cirx.audit.events(LOCAL_ADMIN, limit=limit, action=action)
    names = {o.id: o.name for o in cirx.organisations.all()}
    rows = [{**e, "organisation": names.get(e["org_id"]), "owner": names.get(e["owner_org"])} for e in events]
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} audit events")
    for column in ("at", "organisation", "action", "object", "owner", "detail"):
        table.add_column(column)
    for row in rows:
        shown = event_objects(row)
        table.add_row(row["at"], row["organisation"] or "-", row["action"], shown["object"], row["owner"] or "",
                      shown["detail"])
    console.print(table)
