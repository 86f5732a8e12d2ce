"""Camera sources without their secrets: the one redaction used wherever a source can show.

A camera source is a device index (``"0"``), a file path, or a URL such as
``rtsp://admin:Pa/ss@W0rd@10.0.0.5:554/stream?channel=1&pwd=x``. Its secrets are

* the *user information* of the URL: everything between ``://`` and the **last** ``@``
  before the host. Passwords may hold ``@``, ``/``, ``?`` or ``#`` unencoded, which
  ``urllib.parse.urlsplit`` splits at the wrong place (``rtsp://admin:Pa/ss@host/x`` has,
  for it, the host ``admin:Pa``); so the last ``@`` of the whole URL ends the user
  information. When a path or query itself holds an ``@`` that hides a little too much,
  never too little;
* the value of every parameter whose name looks like a secret (:data:`SECRET_NAME_PARTS`,
  case-insensitive: ``password``, ``pwd``, ``api_key``, ``access_token``, ``auth``, ...),
  in the query, the fragment, and in the ``/user=admin&password=x`` path style some
  cameras use.

:func:`redact_source` removes the user information and replaces secret values by
:data:`MASK`; :func:`redact_text` does the same to every URL inside a free text (a log line,
an OpenCV error, a heartbeat's ``last_error``) and, given the source, also to each of its
secrets wherever they appear alone. Web pages, the command line, logs, heartbeats and
exports use these two and nothing else.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

#: What a secret value is replaced by.
MASK = "***"
#: A parameter whose name (lower case) contains one of these holds a secret.
SECRET_NAME_PARTS = ("pass", "pwd", "token", "key", "secret", "auth", "credential",
                     "signature", "user", "login")
#: Secrets shorter than this are not searched for on their own in free text (they would
#: match ordinary words and digits); the URLs holding them are still redacted.
MIN_SECRET_LENGTH = 4

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
#: ``name=`` right after a delimiter of the path, query or fragment.
_PARAMETER = re.compile(r"(?<=[?&;/#])([^=&;/?#]*)=")
_VALUE_END = re.compile(r"[&;#]")
#: A URL inside free text: a scheme, then anything up to white space.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
#: Characters that, at the end of a URL found in text, belong to the sentence around it.
_CLOSING = "'\")]>,.;:!"


def is_url(source: str) -> bool:
    """Whether ``source`` is a URL (``scheme://...``) rather than a device index or a path."""
    return _SCHEME.match(source) is not None


def redact_source(source: str) -> str:
    """``source`` without user information and with secret parameter values masked; device
    indexes and file paths come back unchanged."""
    match = _SCHEME.match(source)
    if match is None:
        return source
    scheme, rest = source[: match.end()], source[match.end():]
    _, at, host_and_rest = rest.rpartition("@")
    if not at:
        host_and_rest = rest
    return scheme + _redact_parameters(host_and_rest)


def has_secrets(source: str) -> bool:
    """Whether ``source`` holds anything :func:`redact_source` hides."""
    return redact_source(source) != source


def source_secrets(source: str) -> list[str]:
    """The secret strings of ``source`` (user information, its parts, secret parameter
    values), raw and percent-decoded, longest first: what :func:`redact_text` searches."""
    match = _SCHEME.match(source)
    if match is None:
        return []
    rest = source[match.end():]
    found: set[str] = set()
    userinfo, at, host_and_rest = rest.rpartition("@")
    if at:
        found.update((userinfo, *userinfo.split(":", 1)))
    else:
        host_and_rest = rest
    for _, value in _secret_parameters(host_and_rest):
        found.add(value)
    found |= {unquote(s) for s in found}
    return sorted((s for s in found if s), key=len, reverse=True)


def redact_text(text: str, source: str | None = None) -> str:
    """``text`` with every URL in it redacted (:func:`redact_source`); given the camera's
    ``source``, also every occurrence of the whole source and of each of its secrets at
    least :data:`MIN_SECRET_LENGTH` long (an error message may quote a password alone)."""
    if source and is_url(source):
        text = text.replace(source, redact_source(source))
    text = _URL_IN_TEXT.sub(_redact_match, text)
    if source:
        for secret in source_secrets(source):
            if len(secret) >= MIN_SECRET_LENGTH:
                text = text.replace(secret, MASK)
    return text


def _redact_match(match: re.Match[str]) -> str:
    """A URL found in text, redacted; quotes and punctuation closing it are kept as they are."""
    url = match.group(0)
    core = url.rstrip(_CLOSING)
    return redact_source(core) + url[len(core):]


def is_secret_name(name: str) -> bool:
    """Whether a parameter called ``name`` holds a secret (:data:`SECRET_NAME_PARTS`)."""
    lowered = unquote(name).lower()
    return any(part in lowered for part in SECRET_NAME_PARTS)


def _secret_parameters(text: str) -> list[tuple[int, str]]:
    """(start, value) of every secret parameter value in ``text`` (after the host)."""
    found = []
    position = 0
    while (match := _PARAMETER.search(text, position)) is not None:
        position = match.end()
        if not is_secret_name(match.group(1)):
            continue  # its value is scanned too: it may hide "?pwd=" after a "/"
        end = _VALUE_END.search(text, match.end())
        stop = end.start() if end is not None else len(text)
        found.append((match.end(), text[match.end():stop]))
        position = stop
    return found


def _redact_parameters(text: str) -> str:
    pieces, position = [], 0
    for start, value in _secret_parameters(text):
        pieces.append(text[position:start])
        pieces.append(MASK if value else "")
        position = start + len(value)
    pieces.append(text[position:])
    return "".join(pieces)


__all__ = [
    "MASK",
    "SECRET_NAME_PARTS",
    "has_secrets",
    "is_secret_name",
    "is_url",
    "redact_source",
    "redact_text",
    "source_secrets",
]
