"""The ``model`` command group parses its arguments (no training or evaluation is run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from models.cli import _folds, _training_runs, model


def test_fold_parsing() -> None:
    assert _folds("1-5") == (1, 2, 3, 4, 5)
    assert _folds("6,8") == (6, 8)
    assert _folds("") == ()


def test_training_runs_list_later_stages_after_their_run(tmp_path: Path) -> None:
    folders = ("A", "A-views", "A-new-morphs", "A-morphs", "A-look-alike", "A-continued", "B",
               "B-views", "full")
    for folder in folders:
        (tmp_path / folder).mkdir()
    runs = _training_runs(tmp_path)
    assert list(runs) == [
        "A (cross-fold)",
        "A (cross-fold), continued",
        "A (cross-fold), with teacher views",
        "A (cross-fold), with teacher morphs",
        "A (cross-fold), with look-alike morphs",
        "A (cross-fold), with new teacher morphs",
        "B (cross-fold)",
        "B (cross-fold), with teacher views",
        "shipped",
    ]
    assert runs["A (cross-fold), continued"] == tmp_path / "A-continued"
    assert runs["B (cross-fold), with teacher views"] == tmp_path / "B-views"
    assert runs["A (cross-fold), with teacher morphs"] == tmp_path / "A-morphs"
    assert runs["A (cross-fold), with new teacher morphs"] == tmp_path / "A-new-morphs"


def test_commands_listed() -> None:
    result = CliRunner().invoke(model, ["--help"])
    assert result.exit_code == 0
    assert "train" in result.output
    assert "evaluate" in result.output


def test_train_requires_lfw() -> None:
    args = ["train", "--cache-dir", "x", "--output", "y"]
    result = CliRunner().invoke(model, args, env={"ATTENDANCE_LFW_DIR": None})
    assert result.exit_code != 0
    assert "--lfw-dir" in result.output


def test_train_offers_every_morph_set_and_no_other() -> None:
    from models.cnn.morphs import MORPH_SETS  # noqa: PLC0415

    option = next(p for p in model.commands["train"].params if p.name == "morph_set")
    assert list(option.type.choices) == list(MORPH_SETS)  # type: ignore[attr-defined]
    args = ["train", "--cache-dir", "x", "--lfw-dir", "y", "--output", "z", "--morph-set", "odd"]
    result = CliRunner().invoke(model, args)
    assert result.exit_code == 2
    assert "'odd' is not one of" in result.output


def test_train_passes_the_morph_batch_to_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import models.cnn.lfw as lfw  # noqa: PLC0415
    import models.cnn.train as train  # noqa: PLC0415

    seen: list[train.TrainConfig] = []

    def fake_train(config: train.TrainConfig) -> Any:
        seen.append(config)
        raise SystemExit(0)  # stop before the result is reported

    monkeypatch.setattr(lfw, "ensure_unpacked", lambda lfw_dir, cache_dir: tmp_path / "images")
    monkeypatch.setattr(train, "train", fake_train)
    args = ["train", "--cache-dir", str(tmp_path), "--lfw-dir", str(tmp_path), "--output",
            str(tmp_path / "run"), "--teacher-morphs", "--morph-set", "uniform-3",
            "--morph-batch", "128", "--ema", "0.998", "--pair-weight", "6"]
    result = CliRunner().invoke(model, args)
    assert result.exit_code == 0, result.output
    assert seen[0].morph_batch == 128
    assert seen[0].ema == 0.998
    assert seen[0].pair_weight == 6.0
    assert seen[0].morphs_path == tmp_path / "lfw_morphs_uniform_s3.npz"


def test_train_rejects_an_empty_morph_batch() -> None:
    args = ["train", "--cache-dir", "x", "--lfw-dir", "y", "--output", "z", "--morph-batch", "0"]
    result = CliRunner().invoke(model, args)
    assert result.exit_code == 2
    assert "--morph-batch" in result.output


@pytest.mark.parametrize("ema", ["1", "1.5", "-0.1"])
def test_train_rejects_a_weight_average_momentum_outside_0_1(ema: str) -> None:
    args = ["train", "--cache-dir", "x", "--lfw-dir", "y", "--output", "z", "--ema", ema]
    result = CliRunner().invoke(model, args)
    assert result.exit_code == 2
    assert "--ema" in result.output
