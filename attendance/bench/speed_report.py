"""The speed benchmark's markdown report, with targets judged against the figures."""

from __future__ import annotations

import os

from .report import table, verdict
from .speed import SpeedResult

#: Targets: a 30-face frame end to end, and one face against 100,000 vectors (seconds).
FRAME_30_TARGET_S = 3.0
MATCH_100K_TARGET_S = 0.010


def speed_markdown(result: SpeedResult, *, command: str, date: str, weights_note: str,
                   detector: str) -> str:
    """Enrollment, worker and matching tables, then the targets."""
    lines = [
        "# Speed benchmark",
        "",
        f"Command: `{command}`  ",
        f"Date: {date}; machine: {os.cpu_count()} CPU cores (os.cpu_count(); shared with other "
        "work while measured). Figures: median (min-max) over the repeats.",
        "",
        f"Models: {', '.join(result.enroll_models)}; detector {detector}. {weights_note}",
        "",
    ]
    if result.enroll is not None:
        e = result.enroll
        lines += ["## Enrollment", "",
                  table(["what", "seconds per photo", "photos"],
                        [["end to end (decode, quality, detect, embed with every model, "
                          "duplicate check, store)",
                          f"{e.median:.3f} ({e.low:.3f}-{e.high:.3f})", str(e.n)]]), ""]
    if result.worker:
        rows = []
        for w in result.worker:
            s = w.stages
            rows.append([str(w.faces), str(w.found), f"{w.face_height:.0f}",
                         s["detect"].ms(), s["embed"].ms(), s["match"].ms(2), s["write"].ms(),
                         w.total.ms(), f"{w.faces_per_second:.1f}"])
        lines += ["## Worker, per 1280x720 frame", "",
                  table(["faces", "found", "median face px", "detect ms", "embed ms",
                         "match ms", "write ms", "total ms", "faces/s"], rows),
                  "", f"Embed covers every model ({', '.join(result.enroll_models)}); "
                  "write is the sightings and attendance updates in one SQLite transaction.",
                  ""]
    if result.matching:
        rows = [[f"{m.size:,}", m.single.ms(3), m.batch.ms(3), m.distances.ms(3),
                 m.ranking.ms(3), f"{m.size * 128 * 4 / 2**20:,.1f}"] for m in result.matching]
        lines += ["## Matching (numpy, in memory)", "",
                  table(["gallery vectors", "ms per query (1 face)",
                         "ms per face (batch of 30)", "of one query: distances ms",
                         "of one query: ranking ms", "gallery MiB"], rows),
                  "", "pgvector: not configured (no PostgreSQL with the vector extension in "
                  "this deployment), so no figures.", ""]
    lines += ["## Targets", "", *_targets(result)]
    return "\n".join(lines) + "\n"


def _targets(result: SpeedResult) -> list[str]:
    lines = []
    thirty = next((w for w in result.worker if w.faces == 30), None)
    if thirty is not None:
        ok = thirty.total.median < FRAME_30_TARGET_S
        s = thirty.stages
        worst = max(s, key=lambda k: s[k].median)
        lines.append(f"- 30-face frame < 3 s end to end: {verdict(ok)} - "
                     f"{thirty.total.median:.2f} s (median); most time in {worst} "
                     f"({s[worst].median:.2f} s"
                     f", {100 * s[worst].median / thirty.total.median:.0f}%).")
        if not ok:
            per_face = s["embed"].median / max(1, thirty.found)
            lines.append(f"  - Where the time goes: detect {s['detect'].median:.2f} s (HOG with "
                         f"one upsampling of the whole frame), embed {per_face * 1e3:.0f} ms "
                         "per face for both models, match and write negligible.")
    m = next((m for m in result.matching if m.size == 100_000), None)
    if m is not None:
        ok = m.single.median < MATCH_100K_TARGET_S
        lines.append(f"- 100,000-vector matching < 10 ms per face: {verdict(ok)} - "
                     f"{m.single.median * 1e3:.2f} ms for one face, "
                     f"{m.batch.median * 1e3:.2f} ms per face in a batch of 30.")
        if not ok:
            lines.append(
                f"  - Where the time goes: distances {m.distances.median * 1e3:.2f} ms "
                f"(matrix product and per-student minimum), ranking "
                f"{m.ranking.median * 1e3:.2f} ms (`identify` sorts all "
                f"{m.size:,} students to find the top two; `np.argpartition` would not).")
    return lines or ["- No target measured."]


__all__ = ["speed_markdown"]
