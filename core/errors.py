"""Expected failures, each carrying the exit code the command line contract gives it.

Anything raised as a PhototagError is printed as one line, without a traceback; anything else
is a bug and keeps its traceback.
"""


class PhototagError(Exception):
    """A failure the user can understand and act on."""

    exit_code = 1


class UserError(PhototagError):
    """The request itself is wrong: an unknown label, a path outside the library, a bad value."""

    exit_code = 1


class EnvironmentProblem(PhototagError):
    """The machine lacks something the request needs (model weights, a writable library)."""

    exit_code = 2


class WeightsMissing(EnvironmentProblem):
    """The model's weights are not on this machine and the hub is offline."""
