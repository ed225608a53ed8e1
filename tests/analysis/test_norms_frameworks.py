"""The frameworks as data: complete, versioned, sourced, and consistent with the registry packages' copies."""

from __future__ import annotations

import re

import pytest

from cirx.analysis.norms import frameworks
from cirx.errors import InvalidInput
from cirx.model.countries import to_iso2


def test_the_eleven_gge_norms_with_stable_ids() -> None:
    norms = frameworks.norms()
    assert [n.id for n in norms] == [f"gge2015-13{c}" for c in "abcdefghijk"]
    assert {n.letter for n in norms if n.kind == "restraint"} == {"c", "f", "k"}
    assert frameworks.norm("f").id == "gge2015-13f"
    with pytest.raises(InvalidInput):
        frameworks.norm("13z")


def test_every_file_is_versioned_and_sourced() -> None:
    for name, version in frameworks.versions().items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), name
        assert frameworks.load(name)["meta"]["sources"], name


def test_budapest_articles_and_parties() -> None:
    assert [a.article for a in frameworks.offences()] == list(range(2, 12))
    assert {a.article for a in frameworks.cooperation_articles()} >= {24, 25, 29, 35}
    parties = frameworks.parties()
    assert all(to_iso2(p.iso2) == p.iso2 for p in parties.values())
    assert all(p.in_force is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.in_force) for p in parties.values())
    assert frameworks.budapest_status("US", "2006-12-31")["status"] == "party-later"
    assert frameworks.budapest_status("US", "2007-01-01")["status"] == "party"
    assert frameworks.budapest_status("RU")["status"] == "not-party"
    assert frameworks.budapest_status("IE")["status"] == "signatory"


def test_budapest_parties_agree_with_the_misp_country_galaxy() -> None:
    """Every galaxy 'party' is a Party here; the differences are the ones the data file documents."""
    from pymispgalaxies import Clusters

    galaxy = {}
    for value in Clusters().get("country").values():
        meta = value.meta.to_dict() if value.meta else {}
        if meta.get("budapest-convention") and meta.get("ISO"):
            galaxy[meta["ISO"]] = meta["budapest-convention"]
    ours = set(frameworks.parties())
    assert {c for c, s in galaxy.items() if s == "parties"} <= ours
    newer = {c for c in ours if galaxy.get(c) != "parties"}
    assert newer <= {"BJ", "CI", "FJ", "SL", "CM", "GD", "KI", "NZ", "TO"}, newer


def test_icd203_terms_match_the_misp_estimative_language_taxonomy() -> None:
    from pytaxonomies import Taxonomies

    entries = Taxonomies()["estimative-language"].predicates["likelihood-probability"].entries
    assert [t.id for t in frameworks.likelihoods()] == list(entries)
    for term in frameworks.likelihoods():
        assert f"{term.min_pct:02d}-{term.max_pct:02d}%" in entries[term.id].expanded


def test_state_responsibility_spectrum_matches_the_misp_taxonomy() -> None:
    from pytaxonomies import Taxonomies

    predicates = [p.rstrip(".") for p in Taxonomies()["state-responsibility"].predicates]
    ours = [r["id"] for r in frameworks.load("attribution")["state_responsibility"]]
    assert ours == predicates


def test_response_ladder_is_ordered_and_mappings_name_real_rungs() -> None:
    ladder = frameworks.ladder()
    ranks = [r.rank for r in ladder.values()]
    assert ranks == sorted(ranks)
    assert ladder["resp-03-private-demarche"].rank < ladder["resp-05-public-attribution"].rank \
        < ladder["resp-10-targeted-sanctions"].rank < ladder["resp-12-countermeasures"].rank
    data = frameworks.load("responses")
    named = [*data["eurepoc"]["political_kind"].values(), *data["eurepoc"]["legal_type"].values(),
             *data["dcid"]["codes"].values(), data["dcid"]["cyber_response"],
             *data["attribution_claims"].values()]
    assert set(named) <= set(ladder)
    assert frameworks.response_type("resp-10").id == "resp-10-targeted-sanctions"
    with pytest.raises(InvalidInput):
        frameworks.response_type("resp-99")
