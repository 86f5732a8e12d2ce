"""Where the ``fused`` rule's figures come from: the fit shipped next to the in-house weights
(``models.fusion_params``), with the thresholds a user set in the configuration on top."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from pathlib import Path

from models.fusion_params import (
    FusionParams,
    fusion_params_path,
    load_fusion_params,
    shipped_fusion_params,
    with_cohort_of,
)

from ..config import FUSED_RULES, Settings

#: The two models the fused rule combines.
FUSED_MODELS = ("dlib", "inhouse")


def fuses(settings: Settings, model_names: Collection[str], rule: str | None = None) -> bool:
    """Whether ``rule`` (default ``settings.fusion_rule``) fuses scores with these models
    enabled: a fused rule with both dlib and the in-house CNN (one model decides alone)."""
    return ((rule or settings.fusion_rule) in FUSED_RULES
            and set(FUSED_MODELS) <= set(model_names))


def fusion_for(settings: Settings, versions: Mapping[str, str], *, rule: str | None = None,
               weights: Path | None = None) -> FusionParams | None:
    """The fusion parameters a fused rule needs with the models of ``versions`` (name ->
    the embedder's ``version``) enabled, else None.

    ``weights`` names in-house weights other than the shipped ones (the benchmark's cross-fold
    model): their own ``<stem>.fusion.json`` when there is one, else the shipped fit, which
    was made on cross-fold scores of weights like them, with the cohort shipped beside
    ``weights`` when the fit normalises in-house distances (a cohort is one model's). A
    ``fused_threshold`` or ``fused_margin`` set in the configuration replaces the shipped
    one. Raises ``models.fusion_params.FusionParamsError`` (a ``ModelError``) when the
    shipped file is missing, malformed, for other weights, or fitted on other views than the
    in-house embedder's (:meth:`~models.fusion_params.FusionParams.check_views`).
    """
    if not fuses(settings, versions, rule):
        return None
    if weights is not None and fusion_params_path(weights).is_file():
        params = load_fusion_params(weights)
    elif weights is not None:
        params = with_cohort_of(shipped_fusion_params(), weights)
    else:
        params = shipped_fusion_params()
    params.check_views(versions["inhouse"])
    if settings.fused_threshold is not None:
        params = dataclasses.replace(params, fused_threshold=settings.fused_threshold)
    if settings.fused_margin is not None:
        params = dataclasses.replace(params, fused_margin=settings.fused_margin)
    return params


__all__ = ["FUSED_MODELS", "fusion_for", "fuses"]
