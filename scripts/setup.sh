#!/usr/bin/env bash
# Create .venv and install the project with its development tools. Safe to run again:
# it reinstalls only when pyproject.toml changed since the last successful run.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
STAMP=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)

if [ ! -x .venv/bin/python ]; then
    echo "==> creating virtual environment in .venv"
    "$PYTHON" -m venv .venv
fi
if [ ! -f "$STAMP" ]; then
    echo "==> installing dependencies (first run downloads TensorFlow, OpenCV and dlib-bin: a few minutes)"
    .venv/bin/python -m pip install --quiet --upgrade pip "setuptools>=69,<81" wheel
    .venv/bin/python -m pip install --quiet -e ".[dev]"
    # face_recognition declares `dlib`, which has no wheel and takes ages to compile; the
    # `dlib-bin` wheel (a dependency above) provides the same `dlib` module, so install
    # face_recognition itself without its declared dependencies.
    .venv/bin/python -m pip install --quiet --no-deps "face_recognition==1.3.0"
    .venv/bin/python -c "import dlib, face_recognition, cv2, tensorflow" \
        || { echo "error: the face libraries do not import; see README 'Installing dlib'" >&2; exit 1; }
    rm -f .venv/.installed-*
    touch "$STAMP"
fi
# The compiled message catalogues (webui/translations/*/LC_MESSAGES/messages.mo) are built
# from the committed .po files, never committed: cheap, so on every run.
.venv/bin/python scripts/translations.py compile >/dev/null
