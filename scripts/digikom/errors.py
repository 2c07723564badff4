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


class RenderError(DigikomError):
    """The report could not be rendered."""
