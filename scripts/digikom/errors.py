"""The project's own error types: every bad input ends in one of these, with a message
that names the file, the field and the value."""


class DigikomError(Exception):
    """Base class of all errors digikom raises on purpose."""


class InputDataError(DigikomError):
    """A microdata or reference file is unreadable or fails validation."""


class ConfigError(DigikomError):
    """A configuration or model-specification file is invalid."""


class StatbankError(DigikomError):
    """Fetching or parsing a StatBank (PxWebApi v2) table failed."""


class CellLimitError(StatbankError):
    """A JSON-stat response has more cells than ``statbank.max_cells`` allows (not worth
    asking again: the same query gives the same size)."""


class RenderError(DigikomError):
    """The report could not be rendered."""


class DiskFullError(DigikomError, OSError):
    """A write failed because the disk is full (ENOSPC). An OSError with errno ENOSPC,
    whose message is one line: ``disk full while writing PATH``."""

    def __init__(self, path) -> None:
        import errno

        super().__init__(errno.ENOSPC, "No space left on device", str(path))
        self.path = str(path)

    def __str__(self) -> str:
        return f"disk full while writing {self.path}"


# How a full disk shows in the messages of subprocesses (pandoc, typst, quarto) and errors.
DISK_FULL_MARKERS = ("No space left on device", "resource exhausted", "ENOSPC", "os error 28")


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` (or an exception it was raised from) is a full disk."""
    import errno

    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        if any(m in str(exc) for m in DISK_FULL_MARKERS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
