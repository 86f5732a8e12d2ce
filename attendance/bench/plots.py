"""DET curves (FNIR against FPIR, log-log) as PNG files, drawn with matplotlib's Agg."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .metrics import det_points
from .openset import Scores


def plot_det(scores: Mapping[str, Scores], path: Path, title: str) -> Path:
    """One DET curve per configuration into ``path`` (PNG); returns ``path``."""
    import matplotlib  # noqa: PLC0415 - heavy, only when plotting

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    figure, axes = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    try:
        for name, (mated, non_mated) in scores.items():
            _, fpir, fnir = det_points(mated, non_mated)
            if len(fpir) == 0:
                continue
            floor_fpir = 0.5 / max(1, len(non_mated))
            floor_fnir = 0.5 / max(1, len(mated))
            axes.step(np.maximum(fpir, floor_fpir), np.maximum(fnir, floor_fnir),
                      where="post", label=f"{name} ({len(mated)} mated, "
                                          f"{len(non_mated)} non-mated)")
            at_one = np.searchsorted(np.sort(non_mated), 1.0, side="right") / max(1, len(non_mated))
            fnir_one = float(np.mean(~(mated <= 1.0))) if len(mated) else np.nan
            axes.plot([max(at_one, floor_fpir)], [max(fnir_one, floor_fnir)], "o",
                      color=axes.lines[-1].get_color())
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.axvline(0.01, color="grey", linewidth=0.6, linestyle=":")
        axes.axvline(0.001, color="grey", linewidth=0.6, linestyle=":")
        axes.set_xlabel("FPIR (non-mated searches accepted)")
        axes.set_ylabel("FNIR (mated searches missed)")
        axes.set_title(f"{title}\n(dots: the configured thresholds)", fontsize=9)
        axes.grid(True, which="both", linewidth=0.3)
        axes.legend(fontsize=8, loc="lower left")
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)
    return path


__all__ = ["plot_det"]
