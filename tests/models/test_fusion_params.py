"""The fusion parameters shipped beside the in-house weights: loading and its errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from models.cnn.embedder import DEFAULT_WEIGHTS, weights_digest
from models.fusion_params import (
    FusionParams,
    FusionParamsError,
    fusion_params_path,
    load_fusion_params,
    shipped_fusion_params,
    views_of,
)


def _valid(weights: Path) -> dict[str, Any]:
    return {"inhouse_weights": weights.name, "inhouse_digest": weights_digest(weights),
            "coef_dlib": -39.8, "coef_inhouse": -1.0, "intercept": 26.1,
            "fused_threshold": -2.9, "dlib_threshold": 0.55, "inhouse_threshold": 0.5,
            "fitted_on": "test", "generated": "today"}


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    path = tmp_path / "face_cnn_test.keras"
    path.write_bytes(b"not really weights")
    return path


def test_the_file_lives_beside_the_weights_named_after_their_stem() -> None:
    assert fusion_params_path(Path("/w/face_cnn_v2.keras")) == Path("/w/face_cnn_v2.fusion.json")


def test_the_shipped_weights_have_matching_parameters() -> None:
    params = shipped_fusion_params()
    assert params.inhouse_weights == DEFAULT_WEIGHTS.name
    assert params.inhouse_digest == weights_digest(DEFAULT_WEIGHTS)
    assert params.coef_dlib < 0
    assert params.coef_inhouse < 0
    assert 0 < params.inhouse_threshold < 2


def test_a_valid_file_loads(weights: Path) -> None:
    fusion_params_path(weights).write_text(json.dumps(_valid(weights)))
    params = load_fusion_params(weights)
    assert params.fused_threshold == -2.9
    assert params.fused_margin == 0.0  # optional: no margin unless the file sets one
    fusion_params_path(weights).write_text(json.dumps({**_valid(weights), "fused_margin": 0.7}))
    assert load_fusion_params(weights).fused_margin == 0.7
    assert params.label == f"face_cnn_test+{weights_digest(weights)}"
    assert params.threshold_for("inhouse") == 0.5
    # fused distance = -logit; p(same) = sigmoid(logit)
    assert float(params.fused_distance(0.5, 0.5)) == pytest.approx(-(-19.9 - 0.5 + 26.1))
    assert params.probability(0.0) == pytest.approx(0.5)


def test_a_missing_file_is_named(weights: Path) -> None:
    with pytest.raises(FusionParamsError, match=r"face_cnn_test\.fusion\.json not found"):
        load_fusion_params(weights)


@pytest.mark.parametrize(("change", "message"), [
    ({"coef_dlib": "x"}, "coef_dlib must be a finite number"),
    ({"fused_threshold": float("nan")}, "fused_threshold must be a finite number"),
    ({"coef_inhouse": 1.0}, "must be negative"),
    ({"inhouse_threshold": 9.0}, "inhouse_threshold must be a distance"),
    ({"fitted_on": 3}, "fitted_on must be text"),
    ({"inhouse_views": "zoom1.12"}, "inhouse_views must be a version suffix"),
    ({"inhouse_views": 1.12}, "inhouse_views must be a version suffix"),
    ({"fused_margin": -0.5}, "fused_margin must be a number between 0 and 20"),
    ({"fused_margin": True}, "fused_margin must be a number between 0 and 20"),
    ({"fused_margin": "1"}, "fused_margin must be a number between 0 and 20"),
])
def test_malformed_values_are_refused_naming_the_file(weights: Path, change: dict[str, Any],
                                                      message: str) -> None:
    path = fusion_params_path(weights)
    path.write_text(json.dumps({**_valid(weights), **change}))
    with pytest.raises(FusionParamsError, match=message) as caught:
        load_fusion_params(weights)
    assert str(path) in str(caught.value)


def test_missing_keys_and_broken_json_are_refused(weights: Path) -> None:
    path = fusion_params_path(weights)
    data = _valid(weights)
    del data["intercept"]
    path.write_text(json.dumps(data))
    with pytest.raises(FusionParamsError, match="missing intercept"):
        load_fusion_params(weights)
    path.write_text("{not json")
    with pytest.raises(FusionParamsError, match="cannot be read"):
        load_fusion_params(weights)


def test_parameters_of_other_weights_are_refused(weights: Path) -> None:
    fusion_params_path(weights).write_text(json.dumps({**_valid(weights),
                                                       "inhouse_digest": "ffffffffff"}))
    with pytest.raises(FusionParamsError, match="were fitted for .* not for face_cnn_test"):
        load_fusion_params(weights)
    # The benchmark applies a fit to cross-fold weights knowingly.
    assert load_fusion_params(weights, check_digest=False).inhouse_digest == "ffffffffff"


def test_tests_build_parameters_in_memory() -> None:
    params = FusionParams.from_mapping({
        "coef_dlib": -1, "coef_inhouse": -1, "intercept": 0, "fused_threshold": 0,
        "dlib_threshold": 0.5, "inhouse_threshold": 0.5, "inhouse_weights": "w.keras",
        "inhouse_digest": "x", "fitted_on": "", "generated": ""})
    assert params.coef_dlib == -1.0


def test_a_fit_on_normalised_scores_loads_the_cohort_beside_the_weights(weights: Path) -> None:
    import numpy as np

    from models.cnn.cohort import cohort_path, save_cohort

    data = {**_valid(weights), "inhouse_cohort": cohort_path(weights).name}
    fusion_params_path(weights).write_text(json.dumps(data))
    with pytest.raises(FusionParamsError, match=r"face_cnn_test\.cohort\.npz not found"):
        load_fusion_params(weights)
    save_cohort(weights, np.ones((5, 4)), "someone else")
    with pytest.raises(FusionParamsError, match="made for weights someone else"):
        load_fusion_params(weights)
    vectors = np.random.default_rng(0).normal(size=(300, 4))
    save_cohort(weights, vectors, weights_digest(weights))
    params = load_fusion_params(weights)
    assert params.normalises
    assert params.cohort is not None
    np.testing.assert_allclose(params.cohort.vectors, vectors, atol=2e-3)  # stored as float16


def test_a_fit_on_raw_distances_needs_no_cohort(weights: Path) -> None:
    fusion_params_path(weights).write_text(json.dumps(_valid(weights)))
    params = load_fusion_params(weights)
    assert not params.normalises
    assert params.cohort is None


def test_the_cohort_name_must_be_text(weights: Path) -> None:
    fusion_params_path(weights).write_text(json.dumps({**_valid(weights), "inhouse_cohort": 3}))
    with pytest.raises(FusionParamsError, match="inhouse_cohort must be a file name"):
        load_fusion_params(weights)


def test_other_weights_get_the_shipped_fit_with_their_own_cohort(tmp_path: Path) -> None:
    import numpy as np

    from attendance.config import Settings
    from attendance.matching import fusion_for
    from models.cnn.cohort import save_cohort

    shipped = shipped_fusion_params()
    other = tmp_path / "face_cnn_other.keras"
    other.write_bytes(b"other weights")
    vectors = np.random.default_rng(1).normal(size=(300, 128))
    save_cohort(other, vectors, weights_digest(other))
    versions = {"dlib": "dlib", "inhouse": f"face_cnn_other+{weights_digest(other)}+zoom1.12"}
    params = fusion_for(Settings(), versions, rule="fused", weights=other)
    assert params is not None
    assert params.coef_inhouse == shipped.coef_inhouse
    assert shipped.normalises  # the shipped fit is made on normalised in-house scores
    assert params.cohort is not None
    assert shipped.cohort is not None
    np.testing.assert_allclose(params.cohort.vectors, vectors, atol=2e-2)  # theirs, not shipped


def test_a_version_names_its_views_after_the_digest() -> None:
    assert views_of("face_cnn_v2+89a3e08896+zoom1.12") == "+zoom1.12"
    assert views_of("face_cnn_v2_A+0123456789+noflip+zoom1.2") == "+noflip+zoom1.2"
    assert views_of("face_cnn_v2+89a3e08896") == ""
    assert views_of("fake-1") is None  # a test double's version names no views
    shipped_fusion_params().check_views("fake-1")


def test_the_shipped_fit_is_for_the_default_embedders_views() -> None:
    from models.cnn.embedder import KerasCnnEmbedder

    params = shipped_fusion_params()
    assert params.inhouse_views == views_of(KerasCnnEmbedder().version) == "+zoom1.12"
    params.check_views(KerasCnnEmbedder().version)


@pytest.mark.parametrize(("views", "embedder_kwargs"), [
    ("+zoom1.12", {"zoom": None}),  # a fit on four views, an embedder of two
    ("+zoom1.12", {"zoom": 1.2}),
    ("", {}),  # a file from before the field: fitted on the crop and its mirror
])
def test_an_embedder_of_other_views_is_refused(weights: Path, views: str,
                                               embedder_kwargs: dict[str, Any]) -> None:
    from models.cnn.embedder import KerasCnnEmbedder

    data = {**_valid(weights), "inhouse_views": views} if views else _valid(weights)
    fusion_params_path(weights).write_text(json.dumps(data))
    params = load_fusion_params(weights)
    assert params.inhouse_views == views
    version = KerasCnnEmbedder(weights, **embedder_kwargs).version
    with pytest.raises(FusionParamsError, match="fitted on in-house vectors of the views"):
        params.check_views(version)


def test_the_fused_rule_refuses_an_embedder_of_other_views() -> None:
    from attendance.config import Settings
    from attendance.matching import fusion_for
    from models.cnn.embedder import KerasCnnEmbedder

    settings = Settings()
    default = {"dlib": "dlib", "inhouse": KerasCnnEmbedder().version}
    assert fusion_for(settings, default, rule="fused") is not None
    two_views = {**default, "inhouse": KerasCnnEmbedder(zoom=None).version}
    with pytest.raises(FusionParamsError, match="run `attendance model evaluate`"):
        fusion_for(settings, two_views, rule="fused")
    assert fusion_for(settings, two_views, rule="either") is None  # nothing fused
