"""The calibrated score-level fusion of dlib and the in-house CNN, shipped with the weights.

``attendance model evaluate`` fits a logistic regression on the two models' *honest*
(cross-fold) distances of LFW verification pairs, one image of each as it is (an enrolled
photo) and the other as a camera sees it (``models.cnn.camera_probes``), and writes it next
to the in-house weights as ``<weights stem>.fusion.json``::

    {"inhouse_weights": "face_cnn_v2.keras", "inhouse_digest": "<10 hex>",
     "coef_dlib": -39.8, "coef_inhouse": -1.0, "intercept": 26.1,
     "fused_threshold": -2.89, "fused_margin": 0.7,
     "dlib_threshold": 0.55, "inhouse_threshold": 0.50,
     "inhouse_cohort": "face_cnn_v2.cohort.npz", "inhouse_views": "+zoom1.12",
     "fitted_on": "...", "generated": "..."}

For a face and a candidate, with ``d_dlib`` and ``d_inhouse`` each model's Euclidean distance
to that candidate's nearest photo (``d_inhouse`` cohort-normalised, see below): ``logit =
coef_dlib*d_dlib + coef_inhouse*d_inhouse + intercept``, ``p(same) = sigmoid(logit)``, and
the *fused distance* is ``-logit`` (like any distance: smaller is more alike). A fused
distance at or below ``fused_threshold`` is a match, provided the runner-up student's fused
distance is at least ``fused_margin`` larger (optional, default 0: the best candidate is
``e**fused_margin`` times likelier; a face that close to two students is ambiguous and left
unknown). ``inhouse_threshold`` is the in-house
model's own acceptance distance measured the same honest way (used when it decides alone,
and the default ``inhouse_threshold``).

With ``"inhouse_cohort": "<stem>.cohort.npz"`` (optional; absent or ``""`` means raw
distances) the in-house term is the cohort-normalised score of each photo pair
(:mod:`models.cnn.cohort`) instead of the raw distance, with the cohort shipped beside the
in-house weights in use; ``inhouse_threshold`` (the in-house model deciding alone) stays a
raw distance.

The file names the weights it was fitted for by their digest
(:func:`models.cnn.embedder.weights_digest`): parameters of other weights are refused,
because the distances of two weight files are not on the same scale. ``inhouse_views``
(optional; absent or ``""`` means the crop and its mirror) names the embedder's views the
fit was made on, as the in-house version spells them after the digest
(:func:`models.cnn.embedder.views_suffix`): averaging other views moves the distances a
little, so :meth:`FusionParams.check_views` refuses an embedder of other views. Reading it
imports no keras.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .cnn.cohort import Cohort, CohortError, load_cohort
from .errors import ModelLoadError

#: ``<weights stem>`` + this suffix, next to the weights file.
FUSION_SUFFIX = ".fusion.json"
#: The views' suffix of an in-house version, and a whole version: ``<weights stem>+<10 hex
#: digits>`` then that suffix (:meth:`models.cnn.embedder.KerasCnnEmbedder.version`).
_VIEWS = re.compile(r"(?:\+[^+]+)*")
_VERSION = re.compile(rf"(?P<stem>.+?)\+(?P<digest>[0-9a-f]{{10}})(?P<views>{_VIEWS.pattern})")
_FLOATS = ("coef_dlib", "coef_inhouse", "intercept", "fused_threshold", "dlib_threshold",
           "inhouse_threshold")
_TEXTS = ("inhouse_weights", "inhouse_digest", "fitted_on", "generated")


class FusionParamsError(ModelLoadError):
    """The fusion parameters are missing, malformed, or belong to other weights."""


@dataclass(frozen=True)
class FusionParams:
    """One fitted fusion: coefficients, thresholds and the weights they belong to.

    Build it from the shipped file with :func:`load_fusion_params`, or directly (tests).
    """

    coef_dlib: float
    coef_inhouse: float
    intercept: float
    #: Fused distances (minus the logit) at or below this are a match.
    fused_threshold: float
    #: Each model's own acceptance distance, measured on the same honest scores.
    dlib_threshold: float
    inhouse_threshold: float
    #: File name of the in-house weights the fit belongs to, and its digest.
    inhouse_weights: str = ""
    inhouse_digest: str = ""
    fitted_on: str = ""
    generated: str = ""
    #: File name of the cohort the in-house term is normalised with ("" = raw distances),
    #: and that cohort, loaded from beside the in-house weights in use.
    inhouse_cohort: str = ""
    cohort: Cohort | None = field(default=None, compare=False, repr=False)
    #: The embedder's views the in-house vectors were averaged over, as its version's suffix
    #: after the digest (``""``: the crop and its mirror; ``"+zoom1.12"``: four views).
    inhouse_views: str = ""
    #: A face whose two nearest students' fused distances differ by less is ambiguous.
    fused_margin: float = 0.0

    @property
    def normalises(self) -> bool:
        """Whether the in-house term is a cohort-normalised score (needs :attr:`cohort`)."""
        return bool(self.inhouse_cohort)

    @property
    def label(self) -> str:
        """``<weights stem>+<digest>``: which fit decided (stored with every fused score)."""
        return f"{self.inhouse_weights.removesuffix('.keras')}+{self.inhouse_digest}"

    def logit(self, d_dlib: ArrayLike, d_inhouse: ArrayLike) -> NDArray[np.float64]:
        """``coef_dlib*d_dlib + coef_inhouse*d_inhouse + intercept``, elementwise."""
        return np.asarray(
            self.coef_dlib * np.asarray(d_dlib, dtype=np.float64)
            + self.coef_inhouse * np.asarray(d_inhouse, dtype=np.float64) + self.intercept,
            dtype=np.float64)

    def fused_distance(self, d_dlib: ArrayLike, d_inhouse: ArrayLike) -> NDArray[np.float64]:
        """Minus the logit: smaller is more alike; a match at or below ``fused_threshold``."""
        return -self.logit(d_dlib, d_inhouse)

    @staticmethod
    def probability(fused_distance: float) -> float:
        """p(same person) of a fused distance: ``sigmoid(-fused_distance)``."""
        if fused_distance >= 0:
            return math.exp(-fused_distance) / (1.0 + math.exp(-fused_distance))
        return 1.0 / (1.0 + math.exp(fused_distance))

    def check_views(self, inhouse_version: str) -> None:
        """FusionParamsError unless the in-house embedder of ``inhouse_version`` (its
        ``version``) averages the views this fit was made on; a version that names no views
        (:func:`views_of` None) is not checked."""
        views = views_of(inhouse_version)
        if views is not None and views != self.inhouse_views:
            raise FusionParamsError(
                f"the fusion {self.label} was fitted on in-house vectors of the views "
                f"{self.inhouse_views or '(crop and mirror)'!r}, but the in-house embedder "
                f"{inhouse_version} computes {views or '(crop and mirror)'!r}: use the "
                "embedder's default views, or run `attendance model evaluate` with these "
                "views to fit the fusion again")

    def threshold_for(self, model_name: str) -> float:
        """The calibrated acceptance distance of ``"dlib"`` or ``"inhouse"``."""
        if model_name == "dlib":
            return self.dlib_threshold
        if model_name == "inhouse":
            return self.inhouse_threshold
        raise ValueError(f"no calibrated threshold for model {model_name!r}")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "fusion parameters"
                     ) -> FusionParams:
        """Validate ``data`` (the JSON object); FusionParamsError naming ``source`` if wrong."""
        if not isinstance(data, Mapping):
            raise FusionParamsError(f"{source}: expected a JSON object")
        missing = [k for k in (*_FLOATS, *_TEXTS) if k not in data]
        if missing:
            raise FusionParamsError(f"{source}: missing {', '.join(missing)}")
        values: dict[str, Any] = {}
        for key in _FLOATS:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not math.isfinite(value):
                raise FusionParamsError(f"{source}: {key} must be a finite number, "
                                        f"not {value!r}")
            values[key] = float(value)
        for key in _TEXTS:
            if not isinstance(data[key], str):
                raise FusionParamsError(f"{source}: {key} must be text, not {data[key]!r}")
            values[key] = data[key]
        cohort = data.get("inhouse_cohort", "")
        if not isinstance(cohort, str):
            raise FusionParamsError(f"{source}: inhouse_cohort must be a file name, "
                                    f"not {cohort!r}")
        values["inhouse_cohort"] = cohort
        views = data.get("inhouse_views", "")
        if not isinstance(views, str) or not _VIEWS.fullmatch(views):
            raise FusionParamsError(f"{source}: inhouse_views must be a version suffix such "
                                    f"as '+zoom1.12' (or ''), not {views!r}")
        values["inhouse_views"] = views
        margin = data.get("fused_margin", 0.0)
        if isinstance(margin, bool) or not isinstance(margin, int | float) \
                or not 0.0 <= margin <= 20.0:
            raise FusionParamsError(f"{source}: fused_margin must be a number between 0 and "
                                    f"20, not {margin!r}")
        values["fused_margin"] = float(margin)
        for key in ("dlib_threshold", "inhouse_threshold"):
            if not 0.0 < values[key] < 4.0:
                raise FusionParamsError(f"{source}: {key} must be a distance between 0 and 4")
        if values["coef_dlib"] >= 0 or values["coef_inhouse"] >= 0:
            raise FusionParamsError(f"{source}: coef_dlib and coef_inhouse must be negative "
                                    "(a larger distance means less alike)")
        return cls(**values)


def views_of(inhouse_version: str) -> str | None:
    """The views' suffix of an in-house version: ``"+zoom1.12"`` of
    ``"face_cnn_v2+89a3e08896+zoom1.12"``, ``""`` of ``"face_cnn_v2+89a3e08896"``; None
    when the text is not of that form (an embedder that names no views, such as a test
    double)."""
    match = _VERSION.fullmatch(inhouse_version)
    return None if match is None else match["views"]


def fusion_params_path(weights: Path) -> Path:
    """Where the fusion parameters of ``weights`` live: ``<stem>.fusion.json`` beside it."""
    return weights.with_name(weights.name.removesuffix(".keras") + FUSION_SUFFIX)


def load_fusion_params(weights: Path, *, path: Path | None = None,
                       check_digest: bool = True) -> FusionParams:
    """The fusion parameters fitted for the in-house ``weights``.

    ``path`` defaults to :func:`fusion_params_path`. With ``check_digest`` the file must name
    exactly these weights (their SHA-256 prefix); the benchmark turns it off to apply the
    shipped fit, which was made on cross-fold scores, to the cross-fold weights themselves.
    Raises :class:`FusionParamsError` saying which file is wrong and what to do.
    """
    path = fusion_params_path(weights) if path is None else path
    redo = ("run `attendance model evaluate` on these weights to write it, or set "
            "fusion_rule to another rule")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FusionParamsError(f"fusion parameters {path} not found: {redo}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FusionParamsError(f"fusion parameters {path} cannot be read ({exc}): "
                                f"{redo}") from exc
    params = FusionParams.from_mapping(raw, source=str(path))
    if check_digest:
        from .cnn.embedder import weights_digest  # noqa: PLC0415 - no keras at import

        if not weights.is_file():
            raise FusionParamsError(f"in-house weights {weights} not found (needed to check "
                                    f"{path})")
        digest = weights_digest(weights)
        if params.inhouse_digest != digest:
            raise FusionParamsError(
                f"fusion parameters {path} were fitted for {params.inhouse_weights} "
                f"({params.inhouse_digest}), not for {weights.name} ({digest}): {redo}")
        return with_cohort_of(params, weights, digest)
    return with_cohort_of(params, weights)


def with_cohort_of(params: FusionParams, weights: Path, digest: str | None = None
                   ) -> FusionParams:
    """``params`` with the cohort shipped beside the in-house ``weights`` in use (a cohort
    lives in one model's space: the cross-fold weights have their own); unchanged when the
    fit uses raw distances. ``digest``: the weights' digest when already read.
    FusionParamsError when the cohort is missing or for other weights.
    """
    if not params.normalises:
        return params
    from .cnn.embedder import weights_digest  # noqa: PLC0415 - no keras at import

    try:
        cohort = load_cohort(weights, digest or weights_digest(weights))
    except (CohortError, OSError) as exc:
        raise FusionParamsError(f"the fusion normalises in-house distances with a cohort: "
                                f"{exc}") from exc
    return replace(params, cohort=cohort)


@functools.cache
def _shipped(weights: Path, mtime_ns: int) -> FusionParams:
    return load_fusion_params(weights)


def shipped_fusion_params() -> FusionParams:
    """The fusion parameters of the shipped in-house weights (read once, checked)."""
    from .cnn.embedder import DEFAULT_WEIGHTS  # noqa: PLC0415 - no keras at import

    try:
        mtime = fusion_params_path(DEFAULT_WEIGHTS).stat().st_mtime_ns
    except OSError:
        mtime = 0
    return _shipped(DEFAULT_WEIGHTS, mtime)


__all__ = ["FUSION_SUFFIX", "FusionParams", "FusionParamsError", "fusion_params_path",
           "load_fusion_params", "shipped_fusion_params", "views_of", "with_cohort_of"]
