"""Every setting is documented in the README (a datasette habit)."""

from __future__ import annotations

from pathlib import Path

from cirx.config import Settings


def test_every_setting_is_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [env for env, _default, _help in Settings.documentation() if f"`{env}`" not in readme]
    assert missing == []
