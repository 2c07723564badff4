"""``python -m digikom.statbank search WORDS`` / ``describe ID`` (see :mod:`.discover`)."""

from .discover import main

if __name__ == "__main__":
    raise SystemExit(main())
