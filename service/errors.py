"""Errors the CLI and the web app turn into exit codes / HTTP statuses."""


class ServiceError(Exception):
    """Bad input or a missing object: nothing was changed (CLI exit 2)."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ActionRefused(ServiceError):
    """The action is not allowed (wrong state, wrong person, missing reason): CLI exit 1."""

    exit_code = 1
