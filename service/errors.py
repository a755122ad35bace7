"""Errors the CLI and the web app turn into exit codes / HTTP statuses."""


class ServiceError(Exception):
    """Bad input or a missing object: nothing was changed (CLI exit 2)."""

    exit_code = 2
    http_status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ActionRefused(ServiceError):
    """The action is not allowed (wrong state, wrong person, missing reason): CLI exit 1."""

    exit_code = 1
    http_status = 409


class NotPermitted(ActionRefused):
    """The person may not take this action on this product at all (the review policy's refusal of who
    they are, not of the review's state): HTTP 403, CLI exit 1."""

    http_status = 403
