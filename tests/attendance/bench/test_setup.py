"""Which in-house weights the benchmarks measure."""

from __future__ import annotations

from pathlib import Path

from attendance.bench.setup import choose_weights


def test_the_shipped_cross_fold_model_is_the_default_when_present(tmp_path: Path) -> None:
    shipped = tmp_path / "crossfold" / "face_cnn_v2_A.keras"
    shipped.parent.mkdir()
    shipped.write_bytes(b"A")
    choice = choose_weights(None, None, shipped)
    assert choice.path == shipped
    assert "folds 1-5" in choice.note


def test_a_given_folder_or_file_wins_over_the_shipped_model(tmp_path: Path) -> None:
    shipped = tmp_path / "face_cnn_v2_A.keras"
    shipped.write_bytes(b"A")
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.keras").write_bytes(b"B")
    assert choose_weights(None, run, shipped).path == run / "model.keras"
    assert choose_weights(shipped, run, shipped).path == shipped


def test_without_the_shipped_model_the_old_order_holds(tmp_path: Path) -> None:
    from models.cnn.embedder import DEFAULT_WEIGHTS

    choice = choose_weights(None, None, tmp_path / "absent.keras")
    # ../cache/runs/A when it holds a model, else the shipped weights with a warning.
    assert choice.path is None or choice.path.is_file()
    if choice.path == DEFAULT_WEIGHTS:
        assert "Warning" in choice.note
