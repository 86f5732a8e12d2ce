"""Charts drawn on the server as SVG with matplotlib (no JavaScript, no network).

``matplotlib.figure.Figure`` is used directly, never ``pyplot``: no global state, safe in a
threaded server, and the SVG backend needs no display. The text stays text in the SVG
(``svg.fonttype = none``) so it is small, sharp and readable by screen readers.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime

#: Colours of the dashboard's stylesheet (WCAG AA on white).
_LINE = "#0b5cad"
_GRID = "#c4cad3"
_TEXT = "#1b1f24"
#: Most date labels on the x axis; beyond, every n-th session is labelled.
_MAX_LABELS = 12


def rate_chart_svg(
    points: Sequence[tuple[datetime, float]], *, title: str, y_label: str, empty: str,
    date_label: Callable[[datetime], str], percent_label: Callable[[float], str],
) -> bytes:
    """A line chart of attendance rate (0-100 %) per session, labelled with the sessions'
    local dates, as SVG bytes. The words come from the caller, in the reader's language:
    ``title``, ``y_label`` (the axis), ``empty`` (shown when there are no ``points``),
    ``date_label`` (a session's date) and ``percent_label`` (a share 0-1 on the axis)."""
    import matplotlib  # noqa: PLC0415 - heavy; only loaded when a chart is drawn
    from matplotlib.figure import Figure  # noqa: PLC0415
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "attendance",
                                "font.size": 10, "text.color": _TEXT,
                                "axes.labelcolor": _TEXT, "xtick.color": _TEXT,
                                "ytick.color": _TEXT}):
        figure = Figure(figsize=(8, 3), dpi=100)
        axes = figure.add_subplot()
        axes.set_title(title, loc="left", fontsize=11)
        axes.set_ylim(0, 105)
        axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: percent_label(y / 100)))
        axes.set_ylabel(y_label)
        axes.grid(True, color=_GRID, linewidth=0.6)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        if points:
            # One step per session (evenly spaced, like the matrix columns), labelled by date.
            steps = list(range(len(points)))
            axes.plot(steps, [p[1] * 100 for p in points], color=_LINE, linewidth=2,
                      marker="o", markersize=4)
            every = max(1, len(points) // _MAX_LABELS)
            axes.set_xticks(steps[::every],
                            labels=[date_label(p[0]) for p in points][::every])
            axes.set_xlim(-0.5, len(points) - 0.5)
        else:
            axes.text(0.5, 0.5, empty, ha="center", va="center",
                      transform=axes.transAxes)
            axes.set_xticks([])
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
