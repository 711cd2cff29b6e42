"""Error types whose message is one clear line for the user (the CLI prints it, no traceback)."""


class KiloglotError(Exception):
    """Base class: the message names the input and what was expected."""


class DataError(KiloglotError):
    """A corpus file, record or annotation is malformed or missing."""


class ModelError(KiloglotError):
    """A model directory is missing, corrupt, or incompatible with the request."""


class InputError(KiloglotError):
    """A user-supplied value (text, locale, option) is not acceptable."""


class NotFound(KiloglotError):
    """What was asked for does not exist, or is not the asker's (a session of another client)."""
