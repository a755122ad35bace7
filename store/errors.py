"""Refusals of the data layer. Each message says what was refused and why, for CLI and web alike."""


class StoreError(Exception):
    """Base of the data layer's refusals."""


class NotFound(StoreError):
    pass


class ProductLocked(StoreError):
    """An approved product is locked: changes need a new product, not a new version."""


class ProductMismatch(StoreError):
    """A new version disagrees with its product on something that may not change (type, team)."""
