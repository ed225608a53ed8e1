"""``/review``: upload a report, a draft owned by the organisation, edit, confirm (an incident of its own), reject."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from cirx import Platform, Settings
from cirx.extract.draft import DraftStore
from tests.extract.fixtures import REPORT, write_fixtures

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

DRAFT_URL = re.compile(r"^/review/([0-9a-f]{12})$")


@dataclass
class Desk:
    """A small platform of its own (these tests write): the extraction fixtures' ATT&CK, two organisations."""

    platform: Platform
    owner_token: str
    outsider_token: str
    reader_token: str

    def client(self, token: str | None = None) -> TestClient:
        from cirx.api.app import create_app
        from cirx.web.session import SESSION_COOKIE

        client = TestClient(create_app(self.platform))
        if token:
            client.cookies.set(SESSION_COOKIE, token)
        return client


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    folder = tmp_path_factory.mktemp("review")
    bundle, _report = write_fixtures(folder)
    platform = Platform(Settings(database_url=f"sqlite:///{folder / 'cirx.db'}", data_dir=folder,
                                 anonymous_read=True, max_request_bytes=64 * 1024)).init()
    platform.imports.stix(bundle)
    orgs = platform.organisations
    orgs.create("CERT-EE", country="EE", sector="government")
    orgs.create("CERT-PT", country="PT", sector="government")
    owner, _ = orgs.create_token("CERT-EE", role="contributor", user="analyst@cert.ee")
    outsider, _ = orgs.create_token("CERT-PT", role="contributor", user="analyst@cert.pt")
    reader, _ = orgs.create_token("CERT-EE", role="reader", user="reader@cert.ee")
    yield Desk(platform, owner, outsider, reader)
    platform.close()


def upload(client: TestClient, text: str = REPORT, name: str = "report.md", fmt: str = "") -> str:
    """Upload a report; returns the new draft's id."""
    response = client.post("/review", files={"report": (name, text.encode(), "text/markdown")},
                           data={"format": fmt}, follow_redirects=False)
    assert response.status_code == 303, response.text
    found = DRAFT_URL.match(response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


def test_anonymous_callers_get_a_notice_to_sign_in(desk: Desk) -> None:
    page = desk.client().get("/review")
    assert page.status_code == 200 and "Sign in</a> to upload reports" in page.text
    assert 'type="file"' not in page.text
    refused = desk.client().post("/review", files={"report": ("r.txt", b"APT28 used PowerShell.", "text/plain")})
    assert refused.status_code == 401


def test_a_reader_may_not_upload(desk: Desk) -> None:
    client = desk.client(desk.reader_token)
    assert "needs the contributor role" in client.get("/review").text
    refused = client.post("/review", files={"report": ("r.txt", b"APT28 used PowerShell.", "text/plain")})
    assert refused.status_code == 403


def test_uploading_a_report_makes_a_draft_with_what_it_found(desk: Desk) -> None:
    client = desk.client(desk.owner_token)
    draft_id = upload(client)
    page = client.get(f"/review/{draft_id}")
    assert page.status_code == 200
    html = page.text
    assert html.count("<h1>") == 1
    for technique in ("T1566.001", "T1059.001", "T1003.001"):
        assert technique in html
    assert "spearphishing emails with a malicious Word attachment" in html  # the evidence sentence
    assert "185.220.101.4" in html and "http://update-check-service.online/kb.php" in html
    assert "APT28" in html and "Mimikatz" in html and "X-Agent" in html
    assert 'id="name"' in html and '<label for="name">' in html and "TLP:AMBER" in html
    draft = DraftStore(desk.platform.settings.data_dir / "drafts").get(draft_id)
    assert draft["owner"]["org"] == "CERT-EE" and draft["owner"]["user"] == "analyst@cert.ee"
    listing = client.get("/review").text
    assert f'href="/review/{draft_id}"' in listing


def test_the_other_organisation_never_sees_nor_opens_a_draft(desk: Desk) -> None:
    owner, outsider = desk.client(desk.owner_token), desk.client(desk.outsider_token)
    draft_id = upload(owner, REPORT.replace("Fancy Bear", "Secret Bear"))
    assert draft_id not in outsider.get("/review").text
    assert "Secret Bear" not in outsider.get("/review").text
    assert outsider.get(f"/review/{draft_id}").status_code == 404
    for action in ("edit", "confirm", "reject"):
        assert outsider.post(f"/review/{draft_id}/{action}", data={"name": "mine now"}).status_code == 404
    assert desk.client().get(f"/review/{draft_id}").status_code == 404  # anonymous too
    assert owner.get(f"/review/{draft_id}").status_code == 200
    assert "Secret Bear" in owner.get(f"/review/{draft_id}").text


def test_editing_removes_items_and_changes_fields(desk: Desk) -> None:
    client = desk.client(desk.owner_token)
    draft_id = upload(client)
    response = client.post(f"/review/{draft_id}/edit", data={
        "name": "Phishing wave against Ukraine", "description": "Checked by an analyst.",
        "receiver_countries": "Ukraine, PL", "initiator_countries": "RU",
        "remove": ["T1059.001", "185.220.101.4"]}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/review/{draft_id}?saved=edit"
    draft = DraftStore(desk.platform.settings.data_dir / "drafts").get(draft_id)
    incident = next(o for o in draft["bundle"]["objects"] if o["type"] == "incident")
    assert incident["name"] == "Phishing wave against Ukraine" and incident["description"] == "Checked by an analyst."
    assert "T1059.001" not in {t["id"] for t in draft["extraction"]["techniques"]}
    assert not any(o.get("name") == "ipv4 185.220.101.4" for o in draft["bundle"]["objects"])
    assert not any(o.get("x_cirx_external_id") == "T1059.001" for o in draft["bundle"]["objects"])
    page = client.get(f"/review/{draft_id}?saved=edit").text
    assert "Draft saved" in page and "T1059.001" not in page and "UA, PL" in page


def test_bad_edits_come_back_next_to_their_field(desk: Desk) -> None:
    client = desk.client(desk.owner_token)
    draft_id = upload(client)
    response = client.post(f"/review/{draft_id}/edit", data={"name": "", "receiver_countries": "Atlantis"})
    assert response.status_code == 400
    assert 'aria-describedby="name-error"' in response.text and 'id="name-error"' in response.text
    assert 'id="receiver_countries-error"' in response.text and "Atlantis" in response.text


def test_confirming_imports_an_incident_only_the_organisation_sees(desk: Desk) -> None:
    owner, outsider = desk.client(desk.owner_token), desk.client(desk.outsider_token)
    draft_id = upload(owner, REPORT.replace("Fancy Bear phishing wave", "Confirmed Bear wave"))
    response = owner.post(f"/review/{draft_id}/confirm", follow_redirects=False)
    assert response.status_code == 303
    page = owner.get(response.headers["location"]).text
    link = re.search(r'href="/incidents/(incident--[0-9a-f-]+)"', page)
    assert link, page
    incident_id = link.group(1)
    platform = desk.platform
    owner_view = platform.workspace(platform.authenticate(desk.owner_token)).reader
    outsider_view = platform.workspace(platform.authenticate(desk.outsider_token)).reader
    assert incident_id in owner_view.names([incident_id])
    assert incident_id not in outsider_view.names([incident_id])
    with platform.engine.connect() as connection:
        tlp, owner_org = connection.exec_driver_sql(
            "SELECT tlp, owner_org FROM stix_objects WHERE stix_id = ?", (incident_id,)).one()
    assert (tlp, owner_org) == ("amber", platform.organisations.get("CERT-EE").id)
    # The platform's own identity stays the platform's (TLP:CLEAR, no owner).
    with platform.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT tlp, owner_org FROM stix_objects WHERE stix_id LIKE 'identity--4c1d6e0a%'").all()
    assert rows and all(row == ("clear", None) for row in rows)
    assert "Confirmed Bear" not in outsider.get("/review").text
    assert owner.post(f"/review/{draft_id}/confirm").status_code == 400  # already confirmed
    assert outsider.get(f"/incidents/{incident_id}").status_code in (404, 303)


def test_rejecting_keeps_the_record_unchanged(desk: Desk) -> None:
    client = desk.client(desk.owner_token)
    draft_id = upload(client)
    before = desk.platform.reader.count_versions()
    response = client.post(f"/review/{draft_id}/reject", follow_redirects=False)
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "Rejected" in page and "/confirm" not in page
    assert desk.platform.reader.count_versions() == before


def test_uploads_over_the_limit_and_empty_files_are_refused_next_to_the_field(desk: Desk) -> None:
    client = desk.client(desk.owner_token)
    big = client.post("/review", files={"report": ("big.txt", b"x" * (70 * 1024), "text/plain")})
    assert big.status_code == 413 and 'id="report-error"' in big.text and "larger than" in big.text
    empty = client.post("/review", files={"report": ("empty.txt", b"  ", "text/plain")})
    assert empty.status_code == 400 and "the file is empty" in empty.text
    bad_format = client.post("/review", files={"report": ("r.txt", b"text", "text/plain")}, data={"format": "docx"})
    assert bad_format.status_code == 400 and 'id="format-error"' in bad_format.text


def test_html_reports_are_read(desk: Desk) -> None:
    client = desk.client(desk.owner_token)
    html = "<html><body><h1>Report</h1><p>APT28 dumped credentials from LSASS memory with Mimikatz.</p></body></html>"
    draft_id = upload(client, html, "report.html")
    assert "T1003.001" in client.get(f"/review/{draft_id}").text


def test_the_outsider_never_sees_the_owners_drafts_on_the_seeded_store(owner: TestClient,
                                                                       outsider: TestClient) -> None:
    assert "Glacier" not in outsider.get("/review").text
    assert outsider.get("/review/0123456789ab").status_code == 404
    assert outsider.get("/review/not-a-draft").status_code == 404
