"""``/sharing``: sign-in by token and by password, sessions, sign-out, the organisation's sharing and audit trail."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cirx import Platform, Settings
from cirx.access.organisations import SIGN_IN_FAILED
from cirx.errors import Unauthenticated
from cirx.model.incident import make_incident
from cirx.web.session import SESSION_COOKIE

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"


@dataclass
class Node:
    """A small platform of its own (these tests write): CERT-EE and CERT-PT, admins with passwords."""

    platform: Platform
    owner_token: str
    outsider_admin_token: str
    secret_id: str

    def client(self, *, https: bool = False) -> TestClient:
        from cirx.api.app import create_app

        return TestClient(create_app(self.platform), base_url="https://testserver" if https else "http://testserver")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    platform = Platform(Settings(database_url=f"sqlite:///{tmp_path / 'cirx.db'}", data_dir=tmp_path)).init()
    orgs = platform.organisations
    orgs.create("CERT-EE", country="EE", sector="government")
    orgs.create("CERT-PT", country="PT", sector="government")
    orgs.create_group("Baltic-Nordic", description="bilateral", members=["CERT-EE"])
    orgs.set_password("CERT-EE", "kadri", PASSWORD, role="org-admin")
    orgs.set_password("CERT-PT", "rui", PASSWORD, role="org-admin")
    owner_token, _ = orgs.create_token("CERT-EE", role="org-admin", user="kadri")
    outsider_token, _ = orgs.create_token("CERT-PT", role="org-admin", user="rui")
    incident = make_incident(source="cert-ee", external_id="1", name="Operation Glacier Amber",
                             modified="2024-03-01T00:00:00.000Z", description="secret",
                             ir={"receiver_countries": ["IS"]})
    from cirx.ingest.report import ImportReport

    platform.writer.import_objects(iter([incident]), ImportReport("seed"), access=platform.imports.access("CERT-EE"))
    owner = orgs.authenticate(owner_token)
    platform.audit.record(owner, "read", [incident["id"]], detail="Glacier read by the owner")
    yield Node(platform, owner_token, outsider_token, incident["id"])
    platform.close()


def sign_in_password(client: TestClient, org: str = "CERT-EE", user: str = "kadri", password: str = PASSWORD,
                     next_path: str | None = None) -> object:
    form = {"method": "password", "organisation": org, "user": user, "password": password}
    if next_path is not None:
        form["next"] = next_path
    return client.post("/sharing/sign-in", data=form, follow_redirects=False)


def test_anonymous_callers_get_only_the_sign_in_form(anonymous: TestClient) -> None:
    response = anonymous.get("/sharing")
    assert response.status_code == 200
    html = response.text
    assert html.count("<h1>") == 1 and "<h1>Sign in</h1>" in html
    for field in ("organisation", "user", "password", "token"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    assert "Audit trail" not in html and "Sharing groups" not in html


def test_the_sign_in_page_renders_without_anonymous_reads(node: Node) -> None:
    client = node.client()
    assert client.get("/sharing").status_code == 200
    redirected = client.get("/attribution", follow_redirects=False)
    assert redirected.status_code == 303 and redirected.headers["location"] == "/sharing?next=/attribution"
    assert 'name="next" value="/attribution"' in client.get("/sharing?next=/attribution").text


def test_sign_in_by_password_sets_a_safe_cookie_and_shows_the_organisation(node: Node) -> None:
    client = node.client()
    response = sign_in_password(client, next_path="/sharing")
    assert response.status_code == 303 and response.headers["location"] == "/sharing"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=cirx_")
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/", "Max-Age=43200"):
        assert attribute.lower() in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http: a Secure cookie would never come back
    page = client.get("/sharing").text
    assert "<h1>Sharing: CERT-EE</h1>" in page
    assert "Estonia" in page and "government" in page and "kadri" in page and "org-admin" in page
    assert "TLP:AMBER" in page and "Baltic-Nordic" in page
    token = cookie.split(";")[0].split("=", 1)[1]
    # Only the token's hash is stored, and the session lasts 12 hours.
    principal = node.platform.organisations.authenticate(token)
    assert principal.org_id == node.platform.organisations.get("CERT-EE").id
    with node.platform.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT token_hash, expires_at, created_at FROM api_tokens").all()
        hashes = connection.exec_driver_sql("SELECT password_hash FROM users").scalars().all()
    assert all(token not in row[0] for row in stored)
    assert all(PASSWORD not in h and h.startswith("scrypt$") for h in hashes)


def test_over_https_the_cookie_is_secure(node: Node) -> None:
    response = sign_in_password(node.client(https=True))
    assert "secure" in response.headers["set-cookie"].lower()


def test_sign_in_by_token_starts_a_session_of_its_own(node: Node) -> None:
    client = node.client()
    response = client.post("/sharing/sign-in", data={"method": "token", "token": node.owner_token, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    session = client.cookies[SESSION_COOKIE]
    assert session != node.owner_token
    assert "<h1>Sharing: CERT-EE</h1>" in client.get("/sharing").text
    client.post("/sharing/sign-out", follow_redirects=False)
    node.platform.organisations.authenticate(node.owner_token)  # the API token itself still works


def test_a_bad_token_is_refused_next_to_its_field(node: Node) -> None:
    response = node.client().post("/sharing/sign-in", data={"method": "token", "token": "cirx_nope"})
    assert response.status_code == 401
    assert 'aria-describedby="token-error"' in response.text and 'id="token-error"' in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize(("org", "user", "password"), [
    ("CERT-EE", "kadri", "wrong password, long enough"),
    ("CERT-EE", "nobody", PASSWORD),
    ("CERT-XX", "kadri", PASSWORD),
    ("CERT-PT", "kadri", PASSWORD),
])
def test_a_wrong_organisation_user_or_password_gets_one_message(node: Node, org: str, user: str,
                                                                password: str) -> None:
    response = sign_in_password(node.client(), org, user, password)
    assert response.status_code == 401
    assert SIGN_IN_FAILED in response.text
    assert 'id="password-error"' in response.text and 'aria-describedby="password-error"' in response.text
    assert "set-cookie" not in response.headers
    assert f'value="{org}"' in response.text  # the form comes back filled in (but never the password)
    assert password not in response.text


def test_missing_fields_are_named(node: Node) -> None:
    response = node.client().post("/sharing/sign-in", data={"method": "password", "organisation": "CERT-EE"})
    assert response.status_code == 400
    assert "user: this field is required" in response.text and "password: this field is required" in response.text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "evil.example", "/ok\nSet-Cookie: x=1"])
def test_next_never_leads_to_another_host(node: Node, target: str) -> None:
    response = sign_in_password(node.client(), next_path=target)
    assert response.status_code == 303 and response.headers["location"] == "/sharing"


def test_next_keeps_a_local_path_with_its_query(node: Node) -> None:
    response = sign_in_password(node.client(), next_path="/incidents?q=glacier&page=2")
    assert response.headers["location"] == "/incidents?q=glacier&page=2"


def test_sign_out_revokes_the_session(node: Node) -> None:
    client = node.client()
    sign_in_password(client)
    old = client.cookies[SESSION_COOKIE]
    response = client.post("/sharing/sign-out", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/sharing"
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    with pytest.raises(Unauthenticated, match="revoked"):
        node.platform.organisations.authenticate(old)
    replay = node.client()
    replay.cookies.set(SESSION_COOKIE, old)
    assert "<h1>Sign in</h1>" in replay.get("/sharing").text
    assert replay.get("/attribution", follow_redirects=False).status_code == 303


def test_an_org_admin_changes_the_default_marking(node: Node) -> None:
    client = node.client()
    sign_in_password(client)
    response = client.post("/sharing/default-marking", data={"tlp": "green"}, follow_redirects=False)
    assert response.status_code == 303
    assert node.platform.organisations.get("CERT-EE").default_tlp == "green"
    assert "Default marking saved" in client.get(response.headers["location"]).text
    bad = client.post("/sharing/default-marking", data={"tlp": "pink"})
    assert bad.status_code == 400 and 'id="tlp-error"' in bad.text and "unknown TLP level" in bad.text


def test_a_contributor_may_not_change_the_marking_nor_read_the_audit_trail(node: Node) -> None:
    node.platform.organisations.set_password("CERT-EE", "mari", PASSWORD, role="contributor")
    client = node.client()
    sign_in_password(client, user="mari")
    page = client.get("/sharing").text
    assert "for its administrators" in page and 'name="tlp"' not in page
    assert "Glacier read by the owner" not in page
    assert client.post("/sharing/default-marking", data={"tlp": "red"}).status_code == 403
    assert node.platform.organisations.get("CERT-EE").default_tlp == "amber"


def test_the_audit_trail_is_the_organisations_own_and_pages(node: Node) -> None:
    owner, outsider = node.client(), node.client()
    sign_in_password(owner)
    sign_in_password(outsider, "CERT-PT", "rui")
    mine = owner.get("/sharing").text
    assert "Glacier read by the owner" in mine and node.secret_id in mine
    theirs = outsider.get("/sharing").text
    assert "<h1>Sharing: CERT-PT</h1>" in theirs
    assert "Glacier" not in theirs and node.secret_id not in theirs and "Baltic-Nordic" not in theirs
    assert node.secret_id not in outsider.get("/sharing?csv=audit").text
    csv = owner.get("/sharing?csv=audit")
    assert csv.headers["content-type"].startswith("text/csv") and node.secret_id in csv.text
    principal = node.platform.organisations.authenticate(node.owner_token)
    for number in range(60):
        node.platform.audit.record(principal, "read", [node.secret_id], detail=f"read number {number}")
    first = owner.get("/sharing").text
    assert "read number 59" in first and "read number 5<" not in first and 'rel="next"' in first
    second = owner.get("/sharing?audit_page=2").text
    assert "read number 5<" in second and "read number 59" not in second and 'rel="prev"' in second
    assert owner.get("/sharing?audit_page=0").status_code == 400


def test_a_pull_of_many_objects_is_one_row_with_every_id_in_the_csv(node: Node) -> None:
    reader = node.platform.organisations.authenticate(node.platform.organisations.create_token(
        "CERT-PT", role="reader", user="bot")[0])
    other = "indicator--0d1c8f1c-4a5e-4d8a-9f60-1b2a3c4d5e6f"
    node.platform.audit.record_by_owner(reader, "pull", {node.secret_id: node.platform.organisations.get("CERT-EE").id,
                                                         other: node.platform.organisations.get("CERT-PT").id},
                                        {"taxii": "objects", "collection": "community"})
    owner, outsider = node.client(), node.client()
    sign_in_password(owner)
    sign_in_password(outsider, "CERT-PT", "rui")
    mine = owner.get("/sharing").text
    assert "pull" in mine and "community" in mine and other not in mine
    assert node.secret_id in owner.get("/sharing?csv=audit").text
    # CERT-PT's admin sees the event on its own object, never CERT-EE's id.
    assert other in outsider.get("/sharing?csv=audit").text
    assert node.secret_id not in outsider.get("/sharing?csv=audit").text and node.secret_id not in outsider.get(
        "/sharing").text


def test_the_outsider_never_sees_the_owners_secrets_on_the_seeded_store(owner: TestClient,
                                                                        outsider: TestClient) -> None:
    theirs = outsider.get("/sharing")
    assert theirs.status_code == 200 and "CERT-PT" in theirs.text
    for secret in ("Glacier", "Fjord", "CERT-EE"):
        assert secret not in theirs.text
    assert "CERT-EE" in owner.get("/sharing").text


def test_the_session_cookie_works_for_pages_and_the_header_names_the_organisation(node: Node) -> None:
    client = node.client()
    sign_in_password(client)
    assert re.search(r"Signed in: <a href=\"/sharing\">CERT-EE", client.get("/sharing").text)
