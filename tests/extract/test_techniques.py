"""The technique model: training examples from ATT&CK and TRAM, prediction, scores, persistence."""

from __future__ import annotations

from pathlib import Path

from cirx.extract.corpora import LabelledReport
from cirx.extract.evaluate import set_scores, split_by_report
from cirx.extract.techniques import TechniqueModel, attack_examples, clean_attack_text, report_examples
from cirx.extract.text import sentences
from tests.extract.fixtures import attack_bundle


def test_attack_text_is_cleaned() -> None:
    raw = "[APT28](https://attack.mitre.org/groups/G0007) used <code>cmd</code>.(Citation: Vendor 2020)"
    assert clean_attack_text(raw) == "APT28 used cmd."


def test_attack_examples_are_procedures_descriptions_and_negatives() -> None:
    examples, names = attack_examples(attack_bundle()["objects"])
    assert names == {"T1566.001": "Spearphishing Attachment", "T1059.001": "PowerShell",
                     "T1003.001": "LSASS Memory"}
    assert sum(1 for e in examples if e.labels == {"T1059.001"}) == 4
    assert any(not e.labels for e in examples)


def test_report_sentences_take_the_labels_of_their_spans() -> None:
    text = "The actor used PowerShell to run scripts. Nothing else happened here."
    report = LabelledReport("r", text, [(15, 25, "T1059.001")], frozenset({"T1059.001"}))
    assert [(e.text, set(e.labels)) for e in report_examples(report)] == [
        ("The actor used PowerShell to run scripts.", {"T1059.001"}), ("Nothing else happened here.", set())]


def test_model_predicts_with_evidence_and_survives_a_round_trip(tmp_path: Path) -> None:
    examples, names = attack_examples(attack_bundle()["objects"])
    model = TechniqueModel.train(examples, names, min_examples=1)
    document = list(sentences("The weather was fine. Then they dumped credentials from LSASS memory with "
                              "Mimikatz. A PowerShell script downloaded the payload."))
    hits = model.predict(document)
    assert {hit.id for hit in hits} >= {"T1003.001", "T1059.001"}
    best = {hit.id: hit for hit in hits}
    assert "LSASS" in best["T1003.001"].evidence and 0.5 <= best["T1003.001"].score < 1
    model.save(tmp_path / "m.joblib")
    again = TechniqueModel.load(tmp_path / "m.joblib")
    assert [h.id for h in again.predict(document)] == [h.id for h in hits]


def test_scores_and_splits_by_report() -> None:
    scores = set_scores([{"A", "B"}, {"C"}], [{"A"}, {"C", "D"}])
    assert scores["micro_f1"] == round(2 * 2 / (2 * 2 + 1 + 1), 4)
    assert scores["document_f1"] == round((2 / 3 + 2 / 3) / 2, 4)
    reports = [LabelledReport(str(i), "", [], frozenset()) for i in range(10)]
    folds = split_by_report(reports, 3)
    assert sorted(i for fold in folds for i in fold) == list(range(10))


def test_examples_of_untrained_techniques_are_down_weighted_negatives() -> None:
    examples, names = attack_examples(attack_bundle()["objects"])
    outside = sum(1 for e in examples if e.labels == {"T1566.001"})
    model = TechniqueModel.train(examples, names, labels=["T1059.001", "T1003.001"])
    assert model.labels == ["T1003.001", "T1059.001"] and model.info["outside_negatives"] == outside
    document = list(sentences("They dumped credentials from LSASS memory with Mimikatz."))
    assert [hit.id for hit in model.predict(document)] == ["T1003.001"]
    # Weight 0 drops them, as the evaluation's model did before; weight 1 makes them ordinary negatives.
    phishing = ["Phishing emails carried a weaponized Word attachment."]
    margins = [float(TechniqueModel.train(examples, names, labels=["T1059.001", "T1003.001"], outside_weight=w)
                     .decisions(phishing).max()) for w in (0.0, 1.0)]
    assert margins[1] < margins[0]
    full = TechniqueModel.train(examples, names, min_examples=1)
    assert full.info["outside_negatives"] == 0  # the product's model learns every technique: nothing is outside
