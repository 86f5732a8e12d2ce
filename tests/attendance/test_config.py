"""Settings: defaults, sources and their priority, and refusal of bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from attendance.config import load_settings
from attendance.errors import ConfigError


def test_defaults_use_sqlite_in_instance_and_generate_a_lasting_secret(tmp_path: Path) -> None:
    instance = tmp_path / "inst"
    first = load_settings({"instance_path": instance}, environ={})
    assert (
        first.effective_database_url == f"sqlite:///{(instance / 'attendance.sqlite3').resolve()}"
    )
    assert len(first.secret_key) == 64
    assert (instance / "secret_key").stat().st_mode & 0o777 == 0o600
    again = load_settings({"instance_path": instance}, environ={})
    assert again.secret_key == first.secret_key


def test_environment_overrides_file_and_types_are_parsed(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('detector = "haar"\nmin_sightings = 3\nembedders = ["dlib"]\n')
    env = {
        "ATTENDANCE_CONFIG": str(config),
        "ATTENDANCE_INSTANCE_PATH": str(tmp_path / "i"),
        "ATTENDANCE_MIN_SIGHTINGS": "4",
        "ATTENDANCE_EMBEDDERS": "dlib, inhouse",
        "ATTENDANCE_KEEP_PHOTOS": "off",
        "ATTENDANCE_DLIB_THRESHOLD": "0.52",
        # Not settings: read by tests and tools, ignored here.
        "ATTENDANCE_LFW_DIR": "/data/lfw",
        "ATTENDANCE_TEST_POSTGRES_URL": "postgresql://x/y",
    }
    s = load_settings(environ=env)
    assert s.detector == "haar"
    assert s.min_sightings == 4
    assert s.embedders == ("dlib", "inhouse")
    assert s.keep_photos is False
    assert s.dlib_threshold == pytest.approx(0.52)
    assert s.threshold_for("dlib") == pytest.approx(0.52)


def test_instance_config_file_is_read_when_present(tmp_path: Path) -> None:
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.toml").write_text('timezone = "Europe/Berlin"\n')
    s = load_settings(environ={"ATTENDANCE_INSTANCE_PATH": str(instance)})
    assert s.timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ATTENDANCE_DETECTOR": "yolo"}, "detector"),
        ({"ATTENDANCE_MIN_SIGHTINGS": "two"}, "min_sightings"),
        ({"ATTENDANCE_MIN_SIGHTINGS": "0"}, "min_sightings"),
        ({"ATTENDANCE_TIMEZONE": "Mars/Olympus"}, "timezone"),
        ({"ATTENDANCE_EMBEDDERS": "dlib,facenet"}, "embedders"),
        ({"ATTENDANCE_EMBEDDERS": ""}, "embedders"),
        ({"ATTENDANCE_KEEP_PHOTOS": "maybe"}, "keep_photos"),
        ({"ATTENDANCE_DLIB_THRESHOLD": "-1"}, "dlib_threshold"),
        ({"ATTENDANCE_FUSION_RULE": "vote"}, "fusion_rule"),
        ({"ATTENDANCE_METRICS_PORT": "70000"}, "metrics_port"),
        ({"ATTENDANCE_DATABASE_URL": "attendance.db"}, "database_url"),
        ({"ATTENDANCE_COLOUR": "blue"}, "colour"),
    ],
)
def test_invalid_settings_fail_naming_the_setting(
    env: dict[str, str], named: str, tmp_path: Path
) -> None:
    env = {**env, "ATTENDANCE_INSTANCE_PATH": str(tmp_path / "i")}
    with pytest.raises(ConfigError, match=named):
        load_settings(environ=env)


def test_unknown_key_in_file_and_bad_toml_are_refused(tmp_path: Path) -> None:
    bad_key = tmp_path / "a.toml"
    bad_key.write_text("detectr = 'hog'\n")
    with pytest.raises(ConfigError, match="detectr"):
        load_settings(environ={}, config_file=bad_key)
    bad_toml = tmp_path / "b.toml"
    bad_toml.write_text("detector = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(environ={}, config_file=bad_toml)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(environ={}, config_file=tmp_path / "missing.toml")


def test_example_file_documents_every_setting_and_loads(tmp_path: Path) -> None:
    import dataclasses
    import tomllib

    from attendance.config import Settings

    example = Path(__file__).resolve().parents[2] / "config.toml.example"
    keys = set(tomllib.loads(example.read_text()))
    assert keys == {f.name for f in dataclasses.fields(Settings)}
    s = load_settings({"instance_path": tmp_path / "i"}, environ={}, config_file=example)
    assert s.detector == "hog"
    assert "secret_key" not in repr(s)


def test_tool_variables_are_not_settings(tmp_path: Path) -> None:
    environ = {"ATTENDANCE_LFW_DIR": "/data/lfw", "ATTENDANCE_TEST_POSTGRES_URL": "postgresql://x"}
    settings = load_settings({"instance_path": tmp_path / "i"}, environ=environ)
    assert settings.timezone == "UTC"


@pytest.mark.parametrize("value", ["0.5", "61"])
def test_worker_refresh_must_be_between_1_and_60_seconds(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="worker_refresh_seconds"):
        load_settings({"instance_path": tmp_path / "i"},
                      environ={"ATTENDANCE_WORKER_REFRESH_SECONDS": value})


def test_both_models_and_the_fused_rule_by_default(tmp_path: Path) -> None:
    from models.fusion_params import shipped_fusion_params

    s = load_settings({"instance_path": tmp_path / "i"}, environ={})
    assert s.embedders == ("dlib", "inhouse")
    assert s.fusion_rule == "fused"
    # Unset thresholds come from the fit shipped with the in-house weights, not a guess.
    assert s.inhouse_threshold is None
    assert s.fused_threshold is None
    assert s.threshold_for("inhouse") == shipped_fusion_params().inhouse_threshold
    assert s.threshold_for("dlib") == pytest.approx(0.55)


def test_thresholds_set_by_the_user_win_over_the_shipped_fit(tmp_path: Path) -> None:
    from attendance.matching import fusion_for
    from models.cnn.embedder import KerasCnnEmbedder
    from models.fusion_params import shipped_fusion_params

    s = load_settings({"instance_path": tmp_path / "i"},
                      environ={"ATTENDANCE_INHOUSE_THRESHOLD": "0.61",
                               "ATTENDANCE_FUSED_THRESHOLD": "-1.5"})
    assert s.threshold_for("inhouse") == pytest.approx(0.61)
    versions = {"dlib": "dlib", "inhouse": KerasCnnEmbedder().version}
    params = fusion_for(s, versions)
    assert params is not None
    assert params.fused_threshold == pytest.approx(-1.5)
    assert params.fused_margin == shipped_fusion_params().fused_margin  # unset: shipped
    wider = fusion_for(load_settings({"instance_path": tmp_path / "i"},
                                     environ={"ATTENDANCE_FUSED_MARGIN": "2.5"}), versions)
    assert wider is not None
    assert wider.fused_margin == pytest.approx(2.5)
    # One model, or another rule: nothing to fuse.
    assert fusion_for(s, {"dlib": "dlib"}) is None
    assert fusion_for(s, versions, rule="both") is None


@pytest.mark.parametrize(("key", "value"), [("INHOUSE_THRESHOLD", "5"),
                                            ("FUSED_THRESHOLD", "nan"),
                                            ("FUSED_THRESHOLD", "low"),
                                            ("FUSED_MARGIN", "-0.5"),
                                            ("FUSED_MARGIN", "nan"),
                                            ("FUSED_MARGIN", "wide")])
def test_invalid_fusion_thresholds_are_refused(tmp_path: Path, key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=key.lower()):
        load_settings({"instance_path": tmp_path / "i"}, environ={f"ATTENDANCE_{key}": value})
