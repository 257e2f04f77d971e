"""Domain errors. The web and CLI edges turn these into status codes and messages."""


class DanganError(Exception):
    """Base of every error Dangan raises on purpose; its message is meant for people."""

    code = "error"


class InvalidInputError(DanganError):
    """Input that breaks a rule of the catalogue (HTTP 422)."""

    code = "invalid_input"


class NotFoundError(DanganError):
    """The thing asked for does not exist (HTTP 404)."""

    code = "not_found"


class ConflictError(DanganError):
    """The request clashes with the current state, e.g. a duplicate code (HTTP 409)."""

    code = "conflict"


class InvalidTransitionError(ConflictError):
    """A state change not allowed from the current state (HTTP 409)."""

    code = "invalid_transition"


class ForbiddenError(DanganError):
    """The actor may not do this (HTTP 403)."""

    code = "forbidden"


class UnknownDepartmentError(InvalidInputError):
    """A code names a department its fonds does not have."""

    code = "unknown_department"


class ImportRefusedError(InvalidInputError):
    """A catalogue file was refused; nothing from it was imported."""

    code = "import_refused"

    def __init__(self, problems):
        self.problems = list(problems)
        first = self.problems[0]
        more = f" (and {len(self.problems) - 1} more problems)" if len(self.problems) > 1 else ""
        super().__init__(f"{first}{more}; nothing was imported")


class IntegrityError(DanganError):
    """Stored data does not match its recorded digest or chain."""

    code = "integrity"
