"""Camera heartbeat: the worker's "I am alive, this is what I did" on the Camera row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..camera_sources import redact_text
from ..control_chars import strip_control_characters
from ..db import Camera
from ..errors import InvalidInput


def record_heartbeat(
    session: Session,
    camera_id: int,
    *,
    at: datetime,
    frames: int = 0,
    faces: int = 0,
    last_frame_at: datetime | None = None,
    error: str | None = None,
    clear_error: bool = False,
) -> bool:
    """Add ``frames`` processed and ``faces`` seen to the camera's counters and stamp
    ``last_heartbeat_at`` (and ``last_frame_at`` when given). ``error`` replaces
    ``last_error``; ``clear_error`` empties it. Returns False if the camera does not exist.
    The error is stored with every URL credential in it removed (the worker already removes
    its own camera's secrets; this catches any other URL) and without control characters.

    Counters are incremented in SQL, so several writers never lose counts.
    """
    if at.tzinfo is None or (last_frame_at is not None and last_frame_at.tzinfo is None):
        raise InvalidInput("heartbeat times need a time zone (UTC)")
    if frames < 0 or faces < 0:
        raise InvalidInput("heartbeat counters only grow")
    values: dict[str, object] = {
        "last_heartbeat_at": at,
        "frames_processed": Camera.frames_processed + frames,
        "faces_seen": Camera.faces_seen + faces,
    }
    if last_frame_at is not None:
        values["last_frame_at"] = last_frame_at
    if error is not None:
        values["last_error"] = strip_control_characters(redact_text(error),
                                                        allow_line_breaks=True)[:2000]
    elif clear_error:
        values["last_error"] = None
    result = session.execute(
        update(Camera)
        .where(Camera.id == camera_id)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


__all__ = ["record_heartbeat"]
