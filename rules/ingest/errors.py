"""The one exception ingestion raises: the CLI and the engine turn it into a format error for the file."""


class IngestError(ValueError):
    """A file that cannot become a product source. `message` names the file and the problem."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
