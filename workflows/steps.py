"""A transition the review workflow is about to record: the state after it, and the recording's input.

A module of its own, imported through the sandbox's pass-through: the sandbox re-executes the
workflow's module for every review it starts, and building this dataclass there was an eighth of
that cost.
"""

from dataclasses import dataclass

from models.messages import RecordTransitionInput, ReviewWorkflowState


@dataclass(frozen=True)
class Step:
    state: ReviewWorkflowState  # the workflow's whole state after the transition
    recording: RecordTransitionInput
