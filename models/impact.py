"""What a candidate rule pack would change on the stored products (`gcu-review rules impact`)."""

from enum import StrEnum

from pydantic import BaseModel, Field

from models.enums import Verdict


class FindingChange(BaseModel):
    rule_id: str
    severity: str
    state: str = "open"  # of a removed finding: open, dismissed or resolved before


class ProductImpact(BaseModel):
    product_id: str
    product_type: str
    team_id: str
    version_no: int
    judged_by: str | None  # the pack version that pre-checked the stored version
    review_state: str | None = None  # of its review (None: none recorded)
    verdict_before: str | None
    verdict_after: Verdict
    added: list[FindingChange] = Field(default_factory=list)
    removed: list[FindingChange] = Field(default_factory=list)
    severity_changed: list[str] = Field(default_factory=list)  # "RULE: before -> after"

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.severity_changed) or self.verdict_before != self.verdict_after


class RuleImpact(BaseModel):
    rule_id: str
    status: str  # new | changed
    products_hit: int = 0  # products on which the candidate rule fires
    products_added: int = 0  # ... and on which it did not fire before


class ImpactReport(BaseModel):
    candidate_version: str
    candidate_contract: str
    active_version: str
    products: int = 0
    products_changed: int = 0
    open_reviews_changed: int = 0  # of those, reviews not yet approved or withdrawn
    verdicts: dict[str, int] = Field(default_factory=dict)  # "before -> after": count, for the ones that moved
    rules: list[RuleImpact] = Field(default_factory=list)
    changes: list[ProductImpact] = Field(default_factory=list)  # only the products whose judgement moves


class ImpactRunState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


RUN_RULE_IMPACT = "run_rule_impact"
FAIL_RULE_IMPACT = "fail_rule_impact"
RULE_IMPACT_WORKFLOW = "RuleImpactWorkflow"


class RuleImpactInput(BaseModel):
    """A stored run (models.impact_tables.RuleImpactRun) for the worker to carry out."""

    run_id: int


class RuleImpactFailure(BaseModel):
    run_id: int
    error: str


class RuleImpactResult(BaseModel):
    run_id: int
    state: ImpactRunState
    products: int = 0
    products_changed: int = 0
