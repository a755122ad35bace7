"""Pydantic messages and SQLModel tables shared by every part of gcu-review.

Nothing here imports Temporal, the database engine or the rule engine: models are the bottom layer.
"""
