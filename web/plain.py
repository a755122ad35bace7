"""Plain language for the pages: finding texts, locations, citation tags, refusals and validation
errors as a lawyer reads them without training in this tool's internals.

The rule packs and the workflow speak to developers and to the audit log ("no P_LANG03 term in the
scanned text", "the review is in_review (allowed when: queued)"); what they say stays the record.
This module only rewords it for the screen, so a message it does not recognise is shown with its
internal names softened rather than hidden."""

import re
from collections.abc import Mapping

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from rules.sections import SECTION_HEADINGS

# requirements.md §1.1: the confidence tags of every citation.
CITATION_TAGS = {
    "V": "Verified: the wording was seen in the source; short quotes are verbatim.",
    "V-tr": "Verified through a translation or a secondary text reproducing the provision.",
    "S": "Structure verified: the section heading was seen, not the paragraph itself.",
    "R": "From recollection of the public text: verify before relying on it.",
    "D": "A design choice of this tool; there is no public source.",
}
_TAG = re.compile(r"\[(V-tr|V|S|R|D)\]")

STATE_WORDS = {
    "submitted": "submitted (pre-check waiting)",
    "prechecked": "pre-checked",
    "queued": "waiting in the queue",
    "in_review": "in review",
    "escalated": "escalated to the GCU head",
    "returned": "returned to the team",
    "resubmitted": "resubmitted",
    "approved": "approved",
    "withdrawn": "withdrawn",
}

_inline_md = MarkdownIt("commonmark", {"html": False, "linkify": False})
_INLINE_TAGS = {"code", "strong", "em", "b", "i"}


def section_title(key: str) -> str:
    headings = SECTION_HEADINGS.get(key)
    return headings[0] if headings else key.replace("_", " ").capitalize()


def humanise_name(name: str) -> str:
    """`planned_block_minutes` -> "planned block minutes"; `counts[3].reason` -> "counts, item 4, reason"."""
    name = re.sub(r"\[(\d+)\]", lambda m: f", item {int(m.group(1)) + 1}", name)
    return name.replace(".", ", ").replace("_", " ")


def location_label(location: str) -> str:
    if location.startswith("line:"):
        return f"Line {location[5:]}"
    if location.startswith("section:"):
        return f"Section “{section_title(location[8:])}”"
    if location.startswith("field:"):
        return f"Front-matter field “{humanise_name(location[6:])}”"
    if location in ("", "product"):
        return "The product as a whole"
    return location


def _soften(text: str, names: Mapping[str, str]) -> str:
    # "no P_LANG03 term in the scanned text (matched: "bush wives")" -> the term itself
    text = re.sub(
        r"no P_[A-Z0-9_]+ (term|question or reasoning) in the scanned text \(matched: (.+?)\)$",
        lambda m: (
            f"the text must not use this {'term' if m.group(1) == 'term' else 'kind of question or reasoning'}; "
            f"found: {m.group(2)}"
        ),
        text,
    )
    text = re.sub(r"\bP_[A-Z0-9_]+\b", "listed", text)
    text = re.sub(r"\s*\(R_[A-Z0-9_]+\)", "", text)
    text = re.sub(r"section `([a-z_]+)`", lambda m: f"a section “{section_title(m.group(1))}”", text)
    text = re.sub(r"`([a-z_]+(?:\.[a-z_\[\]0-9]+)*)`", lambda m: f"“{humanise_name(m.group(1))}”", text)
    text = re.sub(
        r"\['([a-z_]+)'(?:, '([a-z_]+)')*\]", lambda m: humanise_name(m.group(0)[2:-2].replace("', '", " and ")), text
    )
    text = text.replace(">=", "at least").replace("<=", "at most")
    if names:
        text = re.sub(
            r"\b([A-Z]{2}-\d{2})\b",
            lambda m: f"{names[m.group(1)]} ({m.group(1)})" if m.group(1) in names else m.group(1),
            text,
        )
    return text


def inline_markdown(text: str) -> Markup:
    """Inline Markdown (`code`, **bold**, *emphasis*) as sanitised HTML; anything else as text."""
    html = _inline_md.renderInline(text or "")
    return Markup(nh3.clean(html, tags=_INLINE_TAGS, attributes={}))


def finding_detail(message: str, title: str, names: Mapping[str, str] | None = None) -> Markup:
    """What the rule expected, without the title the page already shows, in plain words."""
    detail = message[len(title) + 2 :] if title and message.startswith(title + ": ") else message
    detail = _soften(detail, names or {})
    return inline_markdown(detail[:1].upper() + detail[1:])


def fix_text(fix: str, names: Mapping[str, str] | None = None) -> Markup:
    fix = _soften(fix or "", names or {})
    return inline_markdown(fix[:1].upper() + fix[1:])


def citation_html(citation: str) -> Markup:
    """The citation with each confidence tag explained in place (a tooltip and a screen-reader text)."""
    escaped = str(Markup.escape(citation or ""))

    def tag(m: re.Match) -> str:
        meaning = CITATION_TAGS[m.group(1)]
        return f'<abbr class="tag" title="{meaning}">[{m.group(1)}]</abbr><span class="sr-only"> ({meaning})</span>'

    return Markup(_TAG.sub(tag, escaped))


# ---------------------------------------------------------------- refusals and validation errors

_REFUSALS: list[tuple[re.Pattern, object]] = [
    (
        re.compile(r"cannot ([\w ]+): the review is (\w+) \(allowed when: ([\w, ]+)\)"),
        lambda m: (
            f"You cannot {m.group(1)} now: the review is {STATE_WORDS.get(m.group(2), m.group(2))}. "
            f"This is possible only while it is {_either(m.group(3))}."
        ),
    ),
    (
        # The workflow's wording before the policy table ("GX-03 may not return for revision: only the
        # assigned reviewer may, while in_review"); the table's own refusals are sentences already.
        re.compile(r"(\S+) may not ([\w ]+): only (.+) may, while (\w+)$"),
        lambda m: (
            f"You cannot {m.group(2)}: while the review is {STATE_WORDS.get(m.group(4), m.group(4))}, "
            f"only {m.group(3)} may do this."
        ),
    ),
    (
        # The policy table's refusal speaks of the person by staff id; the page speaks to them.
        re.compile(r"^\S+ may not (.+?): only (.+?) may(?:, (while .+?))?\.?$"),
        lambda m: f"You cannot {m.group(1)}: only {m.group(2)} may" + (f", {m.group(3)}." if m.group(3) else "."),
    ),
    (re.compile(r"^(\w[\w ]*) requires a reason$"), lambda m: f"Please give a reason to {m.group(1)}."),
    (
        re.compile(r"cannot approve while undismissed blocking or major findings remain: (.+?)\.?$", re.IGNORECASE),
        lambda m: (
            f"You cannot approve yet: these blocking or major findings are still open: {m.group(1)}. "
            "Dismiss each with a reason, or return the product to the team."
        ),
    ),
    (
        re.compile(r"the new due date (\S+) is not in the future"),
        lambda m: f"The new due date ({m.group(1)[:10]}) must be in the future.",
    ),
    (
        re.compile(r"product (\S+) was already submitted \(workflow \S+\); use `resubmit` for a new version"),
        lambda m: (
            f"A product with the id {m.group(1)} has already been submitted. To send a revised version, open "
            f"{m.group(1)} from your team's page and choose “Resubmit a revised version”; for a new product, "
            "give it an id of its own in the front matter (product.id)."
        ),
    ),
    (
        re.compile(r"(\S+) is the author of this product and cannot review it"),
        lambda m: "You wrote this product, so you cannot review it.",
    ),
    (
        re.compile(r"(\S+) is a member of the submitting team (\S+) and cannot review its product"),
        lambda m: f"You are on the staff of {m.group(2)}, the submitting team, so you cannot review its product.",
    ),
]


def _either(states: str) -> str:
    words = [STATE_WORDS.get(s.strip(), s.strip()) for s in states.split(",") if s.strip()]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def refusal(message: str) -> str:
    """A refusal of the workflow or the service in the words of the page."""
    for pattern, reword in _REFUSALS:
        m = pattern.search(message)
        if m:
            return reword(m)  # type: ignore[operator]
    text = re.sub(r"\b(in_review|prechecked)\b", lambda m: STATE_WORDS[m.group(1)], message)
    return text[:1].upper() + text[1:]


_FIELD_WORDS = {
    "page": "Page number",
    "version": "Version number",
    "base": "Version to compare with",
    "expiring_within": "Expiry window (days)",
    "decision": "Decision",
    "reason": "Reason",
}


def validation_problem(loc: tuple, msg: str, value: object = None) -> str:
    """One request-validation error ("page: Input should be greater than or equal to 1") in words."""
    name = str(loc[-1]) if loc else "value"
    label = _FIELD_WORDS.get(name, humanise_name(name).capitalize())
    m = re.match(r"Input should be (greater|less) than or equal to (\S+)", msg)
    if m:
        return f"{label} must be {'at least' if m.group(1) == 'greater' else 'at most'} {m.group(2)}."
    if msg.startswith("Input should be a valid integer"):
        return f"{label} must be a whole number" + (f", not “{value}”." if value not in (None, "") else ".")
    if msg == "Field required":
        return f"{label} is missing."
    if msg.startswith("Input should be"):
        return f"{label}: {msg[len('Input should be ') :].replace('Input should be', 'should be')} expected" + (
            f", not “{value}”." if value not in (None, "") else "."
        )
    return f"{label}: {msg}."
