"""On the real corpora in ../shared/data (skipped when absent): readers and the AnnoCTR entity figures."""

from __future__ import annotations

import json

import pytest

from cirx.extract.corpora import read_annoctr, read_tram_reports, read_tram_sentences
from cirx.extract.entities import build_gazetteer
from cirx.extract.evaluate import evaluate_entities
from cirx.extract.techniques import attack_examples, report_examples
from tests.conftest import shared_data

pytestmark = pytest.mark.shared_data


def test_tram_reports_and_sentences_are_read() -> None:
    reports = read_tram_reports(shared_data("tram", "tram2_train_docs.json"))
    single = read_tram_sentences(shared_data("tram", "single_label_train.json"))
    assert len(reports) == 119 and len({label for _, label, _ in single}) == 50
    labelled = [e for e in report_examples(reports[0]) if e.labels]
    assert labelled and all(e.labels <= reports[0].techniques for e in labelled)


def test_attack_procedure_examples() -> None:
    bundle = json.loads(shared_data("attack", "enterprise-attack-v18.1-no-campaigns.json").read_text())
    examples, names = attack_examples(bundle["objects"], negatives=False)
    assert len(names) > 600 and len(examples) > 14_000


def test_annoctr_dev_groups_malware_and_places_are_found_and_linked() -> None:
    bundle = json.loads(shared_data("attack", "enterprise-attack-v18.1-no-campaigns.json").read_text())
    root = shared_data("annoctr")
    assert len(read_annoctr(root, "dev")) == 16
    result = evaluate_entities(root, build_gazetteer(bundle["objects"]), "dev")
    for kind in ("GROUP", "MALWARE", "LOC"):
        assert result["types"][kind]["f1"] >= 0.80, (kind, result["types"][kind])
    assert result["linking"]["right_of_linked"] >= 0.80
