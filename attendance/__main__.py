"""``python -m attendance``: the ``attendance`` command (how ``attendance serve`` starts its
camera worker processes, with the very Python it runs on)."""

from .cli import main

main()
