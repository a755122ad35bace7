"""Closed vocabularies of the domain contract (../shared/domain) and of the review process."""

from enum import StrEnum


class ProductType(StrEnum):
    IP = "IP"  # investigation plan
    IO = "IO"  # interview outline
    CH = "CH"  # case hypothesis
    CS = "CS"  # charging strategy (incl. AWA/DCC drafts)
    MP = "MP"  # mission plan
    AP = "AP"  # annual plan
    GA = "GA"  # gender / children / vulnerable-persons analysis report
    IR = "IR"  # interview record (contract v2 §5), reviewed by the Security and Protection Unit


class Audience(StrEnum):
    INTERNAL = "internal"
    EXTERNAL = "external"
    COURT = "court"


class Severity(StrEnum):
    BLOCKING = "blocking"
    MAJOR = "major"
    MINOR = "minor"
    ADVISORY = "advisory"


SEVERITY_ORDER = [Severity.BLOCKING, Severity.MAJOR, Severity.MINOR, Severity.ADVISORY]


class Verdict(StrEnum):
    CLEAN = "clean"
    APPROVABLE_WITH_NOTES = "approvable_with_notes"
    REVISE = "revise"
    BLOCKED = "blocked"
    FORMAT_ERROR = "format_error"


class CertType(StrEnum):
    SGBC_BASIC = "SGBC_BASIC"
    SGBC_ADV = "SGBC_ADV"
    CAC_BASIC = "CAC_BASIC"
    CAC_ADV = "CAC_ADV"


class BriefingArea(StrEnum):
    SGBC = "SGBC"
    CAC = "CAC"


class StaffRole(StrEnum):
    """Roster roles (product-format.md §9.2)."""

    INVESTIGATOR = "investigator"
    ANALYST = "analyst"
    TRIAL_LAWYER = "trial_lawyer"
    TEAM_LEADER = "team_leader"
    FOCAL_POINT = "focal_point"
    INTERPRETER = "interpreter"
    INTERMEDIARY = "intermediary"
    NOTE_TAKER = "note_taker"
    PSYCHOLOGIST = "psychologist"
    GCU_REVIEWER = "gcu_reviewer"
    GCU_HEAD = "gcu_head"
    DEPUTY_PROSECUTOR = "deputy_prosecutor"
    SPU_OFFICER = "spu_officer"  # contract v2 §1.10: not a certifiable role


CERTIFIABLE_ROLES = frozenset(
    {
        StaffRole.INVESTIGATOR,
        StaffRole.ANALYST,
        StaffRole.TRIAL_LAWYER,
        StaffRole.TEAM_LEADER,
        StaffRole.FOCAL_POINT,
        StaffRole.INTERPRETER,
        StaffRole.INTERMEDIARY,
        StaffRole.NOTE_TAKER,
    }
)


class Designation(StrEnum):
    INTERVIEWS_SGBC_SURVIVORS = "interviews_sgbc_survivors"
    INTERVIEWS_CHILDREN = "interviews_children"


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"


class ReviewState(StrEnum):
    """States of ../shared/ARCHITECTURE.md 'The review state machine'."""

    SUBMITTED = "submitted"
    PRECHECKED = "prechecked"
    QUEUED = "queued"
    IN_REVIEW = "in_review"
    ESCALATED = "escalated"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"


TERMINAL_STATES = frozenset({ReviewState.APPROVED, ReviewState.WITHDRAWN})


class ReviewAction(StrEnum):
    SUBMIT = "submit"
    PRECHECK = "precheck"
    ENQUEUE = "enqueue"
    CLAIM = "claim"
    ASSIGN = "assign"
    APPROVE = "approve"
    RETURN = "return"
    ESCALATE = "escalate"
    RESUBMIT = "resubmit"
    WITHDRAW = "withdraw"
    DISMISS_FINDING = "dismiss_finding"
    MOVE_DUE_DATE = "move_due_date"
    COMMENT = "comment"
    # SLA events raised by timers, not by people
    REMINDER = "reminder"
    OVERDUE_ESCALATION = "overdue_escalation"
    DP_ESCALATION = "dp_escalation"
    RESUBMISSION_REMINDER = "resubmission_reminder"
    RESUBMISSION_EXPIRED = "resubmission_expired"
    # A returned review whose resubmission deadline passed long ago is closed (withdrawn) by the system.
    CLOSE_ABANDONED = "close_abandoned"
    # An operator restarted a review whose workflow had ended abnormally (gcu-review repair --restart).
    RESTART = "restart"
    # The workflow was cancelled through Temporal (an operator): the review ends withdrawn, with no decision.
    CANCEL = "cancel"
    # The workflow ended abnormally (terminated, timed out, failed) while the review was open: recorded
    # by the scheduled reconciliation (workflows/review_endings.py), not by the workflow, which is gone.
    WORKFLOW_ENDED = "workflow_ended"


class DecisionKind(StrEnum):
    APPROVE = "approve"
    RETURN = "return"
    ESCALATE = "escalate"


class FindingState(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    RESOLVED = "resolved"


class NotificationKind(StrEnum):
    ASSIGNMENT = "assignment"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    RETURNED = "returned"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"
    RESUBMISSION_REMINDER = "resubmission_reminder"
    CERTIFICATE_EXPIRY = "certificate_expiry"
    QUEUED = "queued"
    COMMENT = "comment"  # added (issue 5): a reviewer or the team commented on a review


class AuditChannel(StrEnum):
    """Through what an audited change came: the web pages, the JSON API, the operator CLI, or the
    system itself (timers, the pre-check, retention)."""

    WEB = "web"
    API = "api"
    CLI = "cli"
    SYSTEM = "system"
