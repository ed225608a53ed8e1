"""Pages carry a content security policy; cross-site form posts are refused; the APIs are left alone."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cirx.web.guard import CONTENT_SECURITY_POLICY


def test_pages_and_assets_forbid_other_hosts_and_framing(anonymous: TestClient) -> None:
    for path in ("/", "/incidents", "/static/cirx.css", "/no-such-page"):
        response = anonymous.get(path)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert "default-src 'self'" in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in anonymous.get("/taxii2/").headers
    assert "content-security-policy" not in anonymous.get("/openapi.json").headers


def test_a_form_posted_from_another_site_is_refused(anonymous: TestClient) -> None:
    form = {"token": "not-a-token"}
    foreign = anonymous.post("/sharing/sign-in", data=form, headers={"Origin": "https://evil.example"},
                             follow_redirects=False)
    assert foreign.status_code == 403 and "another site" in foreign.text
    referred = anonymous.post("/sharing/sign-in", data=form, follow_redirects=False,
                              headers={"Referer": "https://evil.example/page"})
    assert referred.status_code == 403
    opaque = anonymous.post("/sharing/sign-in", data=form, headers={"Origin": "null"}, follow_redirects=False)
    assert opaque.status_code == 403
    same = anonymous.post("/sharing/sign-in", data=form, headers={"Origin": "http://testserver"},
                          follow_redirects=False)
    assert same.status_code != 403  # reaches the sign-in, which refuses the token itself
    no_origin = anonymous.post("/sharing/sign-in", data=form, follow_redirects=False)
    assert no_origin.status_code == same.status_code
