"""Prometheus metrics of one worker process, in their own registry (no global state)."""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

logger = logging.getLogger(__name__)

#: Stage latency buckets, seconds: 5 ms up to 30 s (a 30-face frame on a small CPU).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STAGES = ("detect", "embed", "match", "write")


class WorkerMetrics:
    """Counters (frames, faces, matches, unknowns, inherited faces, errors), the spool's
    length and per-stage latency histograms (seconds), labelled by camera name."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.frames = Counter("attendance_frames", "Frames processed", ["camera"], registry=r)
        self.faces = Counter("attendance_faces", "Faces detected", ["camera"], registry=r)
        self.matches = Counter("attendance_matches", "Faces matched to a student", ["camera"],
                               registry=r)
        self.unknowns = Counter("attendance_unknowns", "Faces matched to nobody", ["camera"],
                                registry=r)
        self.inherited = Counter("attendance_inherited_faces",
                                 "Faces that inherited their identity from the previous frame "
                                 "instead of being embedded", ["camera"], registry=r)
        self.errors = Counter("attendance_errors", "Errors by kind", ["camera", "kind"],
                              registry=r)
        self.spooled = Gauge("attendance_spooled_sightings",
                             "Sightings waiting in memory for the database", ["camera"],
                             registry=r)
        self.stage_seconds = Histogram(
            "attendance_stage_seconds", "Time per frame and stage, seconds",
            ["camera", "stage"], buckets=BUCKETS, registry=r,
        )
        self._server: Any = None

    def serve(self, port: int, addr: str = "127.0.0.1") -> None:
        """Expose the registry on ``http://addr:port/metrics`` (``port`` 0: do nothing)."""
        if port <= 0 or self._server is not None:
            return
        self._server = start_http_server(port, addr=addr, registry=self.registry)
        logger.info("metrics on http://%s:%d/metrics", addr, port)

    def close(self) -> None:
        """Stop the metrics HTTP server, if any."""
        server, self._server = self._server, None
        if isinstance(server, tuple):  # prometheus_client >= 0.17 returns (server, thread)
            server[0].shutdown()
            server[0].server_close()


__all__ = ["STAGES", "WorkerMetrics"]
