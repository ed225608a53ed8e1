"""``cirx serve`` builds the technique model in the background; builds never run twice at once."""

from __future__ import annotations

from cirx import Platform
from cirx.extract.service import load_or_build_model, model_path, warm_up_model
from cirx.extract.techniques import TechniqueModel


def test_warm_up_without_attack_data_ends_quietly_and_saves_nothing(sqlite_platform: Platform) -> None:
    thread = warm_up_model(sqlite_platform)
    assert thread is not None
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert not model_path(sqlite_platform).exists()


def test_a_saved_model_is_used_as_it_is(sqlite_platform: Platform) -> None:
    path = model_path(sqlite_platform)
    path.parent.mkdir(parents=True)
    trained = _tiny_model()
    trained.save(path)
    assert warm_up_model(sqlite_platform) is None
    loaded = load_or_build_model(sqlite_platform)
    assert loaded.info == trained.info
    assert load_or_build_model(sqlite_platform) is loaded  # kept in memory until the file changes


def _tiny_model() -> TechniqueModel:
    from cirx.extract.techniques import Example

    examples = [Example(text=f"The actor used PowerShell scripts to run commands {i}.", labels=frozenset({"T1059.001"}))
                for i in range(3)] + [Example(text=f"The weather was fine on day {i}.", labels=frozenset())
                                      for i in range(3)]
    return TechniqueModel.train(examples, {"T1059.001": "PowerShell"}, min_examples=1)
