"""Compliant baseline products and roster for the per-rule tests.

Every baseline is a Python dict (front matter) plus (heading, text) sections, rendered to the
product-file format of ../shared/domain/product-format.md. A baseline produces NO finding with
`base_roster()` (pinned by test_baselines.py style tests in test_scoping.py), so a test that
changes one thing and sees one rule fire shows that this thing, and nothing else, fires it.

    io_child(**{"interview.planned_block_minutes": 50})       # override a front-matter path
    io_child(drop("consent.child"))                            # delete a path
    io_adult(section("Consent", "..."), without_section("Follow-up and feedback plan"))
    ip(append_to("Gender analysis", "Bush wives ..."))        # add body text to a section
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

DROP = object()  # value of a keyword override that deletes the path


class Raw(str):
    """A YAML scalar written verbatim (e.g. Raw("no"), Raw("045"), Raw("2025-03-05 10:00:00"))."""


# --------------------------------------------------------------------------- YAML emitter
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_PLAIN_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
# Words a YAML 1.1 reader would not read as strings; quoting them keeps baselines loader-neutral.
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"}


def _scalar(value: Any) -> str:
    if isinstance(value, Raw):
        return str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        # Dates are strings in the contract; write them unquoted like the samples do.
        if _DATE.match(value) or (_PLAIN_WORD.match(value) and value.lower() not in _YAML_WORDS):
            return value
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot emit {value!r}")


def _key(key: Any) -> str:
    if isinstance(key, Raw):
        return str(key)
    return key if isinstance(key, str) and _PLAIN_KEY.match(key) else json.dumps(key)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _emit(obj: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(value, dict) and value:
                lines.append(f"{pad}{_key(key)}:")
                lines.extend(_emit(value, indent + 2))
            elif isinstance(value, dict):
                lines.append(f"{pad}{_key(key)}: {{}}")
            elif isinstance(value, list) and all(_is_scalar(v) for v in value):
                lines.append(f"{pad}{_key(key)}: [{', '.join(_scalar(v) for v in value)}]")
            elif isinstance(value, list):
                lines.append(f"{pad}{_key(key)}:")
                lines.extend(_emit(value, indent + 2))
            else:
                lines.append(f"{pad}{_key(key)}: {_scalar(value)}")
        return lines
    if isinstance(obj, list):
        for item in obj:
            if isinstance(item, dict) and item:
                inner = _emit(item, indent + 2)
                inner[0] = f"{pad}- " + inner[0][indent + 2 :]
                lines.extend(inner)
            elif isinstance(item, list) and item and not all(_is_scalar(v) for v in item):
                raise TypeError("nested lists of mappings are not needed by the contract")
            elif isinstance(item, list):
                lines.append(f"{pad}- [{', '.join(_scalar(v) for v in item)}]")
            elif isinstance(item, dict):
                lines.append(f"{pad}- {{}}")
            else:
                lines.append(f"{pad}- {_scalar(item)}")
        return lines
    return [pad + _scalar(obj)]


def to_yaml(obj: dict) -> str:
    return "\n".join(_emit(obj, 0)) + "\n"


# --------------------------------------------------------------------------- field paths
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _parse_path(path: str) -> list[str | int]:
    tokens: list[str | int] = []
    for name, index in _TOKEN.findall(path):
        tokens.append(int(index) if index else name)
    return tokens


def set_path(data: dict, path: str, value: Any) -> None:
    tokens = _parse_path(path)
    node: Any = data
    for token, nxt in zip(tokens, tokens[1:], strict=False):
        if isinstance(token, int):
            node = node[token]
        else:
            if not isinstance(node.get(token), (dict, list)):
                node[token] = [] if isinstance(nxt, int) else {}
            node = node[token]
    last = tokens[-1]
    if value is DROP:
        if isinstance(last, int):
            del node[last]
        else:
            node.pop(last, None)
    else:
        node[last] = value


def get_path(data: dict, path: str) -> Any:
    node: Any = data
    for token in _parse_path(path):
        node = node[token]
    return node


# --------------------------------------------------------------------------- product spec
FILLER = (
    "The plan is kept in the case file, reviewed with the focal point and updated whenever the "
    "situation changes, so that every decision can be traced."
)


def word_count(text: str) -> int:
    return sum(1 for tok in text.split() if any(c.isalnum() for c in tok))


def prose(*sentences: str, min_words: int = 45) -> str:
    """Join sentences into one paragraph and pad it with neutral filler to `min_words` words."""
    text = " ".join(sentences)
    while word_count(text) < min_words:
        text = f"{text} {FILLER}".strip()
    return text


@dataclass
class Section:
    heading: str
    text: str
    level: int = 2


@dataclass
class ProductSpec:
    front: dict
    sections: list[Section]
    title_heading: str = "Product"
    epilogue: str = ""
    preamble: str = ""

    # ---- rendering
    def text(self) -> str:
        parts = ["---\n", to_yaml(self.front), "---\n", "\n"]
        if self.preamble:
            parts.append(self.preamble.rstrip("\n") + "\n\n")
        parts.append(f"# {self.title_heading}\n\n")
        for sec in self.sections:
            parts.append(f"{'#' * sec.level} {sec.heading}\n{sec.text.rstrip()}\n\n")
        if self.epilogue:
            parts.append(self.epilogue.rstrip("\n") + "\n")
        return "".join(parts)

    def line_of(self, needle: str, nth: int = 0) -> int:
        """1-based file line of the nth line containing `needle`."""
        hits = [i for i, line in enumerate(self.text().split("\n"), start=1) if needle in line]
        if len(hits) <= nth:
            raise AssertionError(f"{needle!r} not in product text")
        return hits[nth]

    # ---- edits (each returns self so they chain)
    def set(self, path: str, value: Any) -> ProductSpec:
        set_path(self.front, path, value)
        return self

    def drop(self, path: str) -> ProductSpec:
        set_path(self.front, path, DROP)
        return self

    def get(self, path: str) -> Any:
        return get_path(self.front, path)

    def find(self, heading: str) -> Section:
        for sec in self.sections:
            if sec.heading == heading:
                return sec
        raise KeyError(heading)

    def has_section(self, heading: str) -> bool:
        return any(sec.heading == heading for sec in self.sections)

    def replace_section(self, heading: str, text: str) -> ProductSpec:
        self.find(heading).text = text
        return self

    def remove_section(self, heading: str) -> ProductSpec:
        self.sections = [s for s in self.sections if s.heading != heading]
        return self

    def rename_section(self, heading: str, new_heading: str) -> ProductSpec:
        self.find(heading).heading = new_heading
        return self

    def add_section(self, heading: str, text: str, level: int = 2, after: str | None = None) -> ProductSpec:
        new = Section(heading, text, level)
        if after is None:
            self.sections.append(new)
        else:
            index = self.sections.index(self.find(after))
            self.sections.insert(index + 1, new)
        return self

    def append_to(self, heading: str, text: str) -> ProductSpec:
        sec = self.find(heading)
        sec.text = sec.text.rstrip() + "\n\n" + text
        return self

    def copy(self) -> ProductSpec:
        return copy.deepcopy(self)

    # ---- running the engine
    def check(self, roster=None, file: str = "<memory>"):
        from rules.library import engine_for

        # These baselines and the per-rule tests built on them pin contract v1 (pack 1.0).
        return engine_for("1.0").check_text(self.text(), roster if roster is not None else base_roster(), file=file)


Modifier = Callable[[ProductSpec], Any]


def drop(path: str) -> Modifier:
    return lambda spec: spec.drop(path)


def setp(path: str, value: Any) -> Modifier:
    return lambda spec: spec.set(path, value)


def section(heading: str, text: str) -> Modifier:
    return lambda spec: spec.replace_section(heading, text)


def without_section(heading: str) -> Modifier:
    return lambda spec: spec.remove_section(heading)


def rename_section(heading: str, new_heading: str) -> Modifier:
    return lambda spec: spec.rename_section(heading, new_heading)


def add_section(heading: str, text: str, level: int = 2, after: str | None = None) -> Modifier:
    return lambda spec: spec.add_section(heading, text, level, after)


def append_to(heading: str, text: str) -> Modifier:
    return lambda spec: spec.append_to(heading, text)


def epilogue(text: str) -> Modifier:
    def apply(spec: ProductSpec) -> None:
        spec.epilogue = (spec.epilogue + "\n\n" + text).strip("\n")

    return apply


def _build(front: dict, sections: list[tuple[str, str]], title: str, modifiers, overrides) -> ProductSpec:
    spec = ProductSpec(copy.deepcopy(front), [Section(h, t) for h, t in sections], title)
    for modifier in modifiers:
        modifier(spec)
    for path, value in overrides.items():
        spec.set(path, value)
    return spec


def _product(pid: str, ptype: str, title: str, submitted_on: str, audience: str = "internal") -> dict:
    return {
        "id": pid,
        "type": ptype,
        "title": title,
        "team": "T-ALPHA",
        "situation": "Situation in Exampleland (fictional)",
        "version": "1.0",
        "author": "AL-03",
        "submitted_on": submitted_on,
        "audience": audience,
    }


# --------------------------------------------------------------------------- IP
IP_GENDER_FACTORS = (
    "Men and boys were detained at the checkpoints and beaten on suspicion of supporting the "
    "opposition. Ethnic minority families and persons with disabilities faced the greatest "
    "barriers to reporting."
)
IP_GENDER_CORE = (
    "Reports indicate that women and girls were stopped at the roadblocks on the eastern highway and "
    "taken to the brigade's posts, where several were held overnight. Gender roles in the district "
    "give husbands and fathers control of travel and money, so women depend on relatives to reach a "
    "clinic or a police post. Survivors fear stigma and rejection by their families, and nobody has "
    "yet reported sexual violence against detainees, which is itself a reason to look for it. "
    "Community leaders decide who may speak to outsiders, and the only complaint desk is a day's "
    "walk from the villages. Power in the brigade rests with a small group of officers who decide "
    "who passes the roadblocks and who is held. The analysis will be updated after each mission."
)

IP_FRONT = {
    "product": _product("IP-ALPHA-2025-01", "IP", "Investigation plan: eastern district raids", "2025-03-03"),
    "lines_of_inquiry": ["rape", "gender_persecution", "child_recruitment", "murder"],
    "gcu_consultation_points": ["plan_approval", "before_first_mission", "before_awa_dcc"],
}

IP_SECTIONS = [
    (
        "Summary",
        prose(
            "Unified Team Alpha will investigate the raids on the market towns of the eastern district "
            "between March and November 2024 and the crimes that accompanied them."
        ),
    ),
    (
        "Context and scope",
        prose(
            "The brigade entered the district in March 2024. UN reporting describes night raids on the "
            "market towns, looting of warehouses and killings of traders. The scope covers nine towns and "
            "the brigade's headquarters at Fort Lira."
        ),
    ),
    ("Gender analysis", prose(IP_GENDER_CORE, IP_GENDER_FACTORS, min_words=170)),
    (
        "Children analysis",
        prose(
            "Children were among the victims of the raids and some lost one or both parents. The team "
            "will seek children's accounts only after a psychosocial assessment and with the consent of a "
            "guardian."
        ),
    ),
    (
        "Lines of inquiry",
        prose(
            "Rape and gender persecution at the roadblocks; recruitment and use of children by the "
            "brigade; murder of traders during the raids."
        ),
    ),
    (
        "Evidence strategy",
        prose(
            "Insider witnesses, intercepted radio traffic, clinic records, satellite imagery and a limited "
            "number of survivor interviews after the prior accounts check."
        ),
    ),
    (
        "Witness vulnerability and protection",
        prose(
            "Each witness is screened for vulnerability and risk before any contact, taking into account "
            "health, the nature of the crime and any threats, and protective measures are agreed with the "
            "Registry's Victims and Witnesses Unit."
        ),
    ),
    (
        "Prior accounts check",
        prose(
            "The team asked the UN human rights office, two documentation groups and the national police "
            "which witnesses they have already interviewed, by category, and recorded the answers."
        ),
    ),
    (
        "Team and GCU consultation",
        prose(
            "The focal point for gender and children issues is investigator AL-02. The GCU will be "
            "consulted at plan approval, before the first mission and before any arrest warrant "
            "application."
        ),
    ),
]


def ip(*modifiers: Modifier, **overrides: Any) -> ProductSpec:
    return _build(IP_FRONT, IP_SECTIONS, "Investigation plan: eastern district raids", modifiers, overrides)


# --------------------------------------------------------------------------- IO adult SGBC survivor
IO_ADULT_FRONT = {
    "product": _product("IO-ALPHA-2025-001", "IO", "Interview outline: witness EX-S-001", "2025-03-03"),
    "witnesses": [
        {
            "code": "EX-S-001",
            "age": 31,
            "gender": "female",
            "sgbc_survivor": True,
            "caafag": False,
            "disability": False,
        }
    ],
    "interview": {
        "date": "2025-03-20",
        "first_contact_on": "2025-03-12",
        "sequence": 1,
        "interviewer": "AL-03",
        "interpreter": "AL-11",
        "note_taker": None,
        "planned_block_minutes": 60,
        "breaks_planned": True,
        "phases": ["introduction", "rapport", "ground_rules", "free_narrative", "open_questions", "closure"],
        "detail_limited_to": ["rape"],
        "location": {
            "description": "Rented private room in a partner women's centre, separate entrance",
            "private": True,
            "observable": False,
            "perpetrator_contact_risk": "none",
        },
        "recording": "audio",
    },
    "consent": {
        "elements": ["purpose", "use", "disclosure", "access", "risks", "right_to_stop"],
        "recorded_on": "2025-03-12",
    },
    "psychosocial_support": {"during": "on_call", "expert": "GX-01"},
    "referral_pathway": {
        "medical": {"provider": "Partner clinic, post-rape care unit"},
        "psychosocial": {"provider": "Partner counselling service"},
        "legal": {"provider": "Legal aid desk of partner bar association"},
        "shelter_livelihood": {
            "unavailable": True,
            "mitigation": "Emergency shelter place arranged through the VWU if needed",
        },
    },
    "gender_choice": {"offered": True, "interviewer": "female", "interpreter": "female"},
    "interpreter_vetting": {
        "briefed_sgbc": True,
        "confidentiality_signed": True,
        "community_conflict": False,
        "survivor_waiver": False,
    },
    "risk_assessment": {
        "completed_on": "2025-03-07",
        "by": "VWU",
        "mitigations": "Contact only through the partner centre; no visits to the home; transport by the centre",
    },
}

IO_ADULT_SECTIONS = [
    (
        "Summary",
        prose(
            "One interview is planned with an adult woman who reported sexual violence at a roadblock. "
            "The interview aims to record her account in her own words, with detail only where the "
            "elements of rape require it."
        ),
    ),
    (
        "Purpose of the interview",
        prose(
            "To record her account of the events at the roadblock in March 2024 and to identify the "
            "officers in charge of the post, so far as the elements of rape require."
        ),
    ),
    (
        "Prior accounts check",
        prose(
            "On 10 March the team asked the two documentation groups active in the district and the OTP "
            "evidence registry whether any account of this witness already exists. Neither group holds a "
            "statement from her and the registry has no record."
        ),
    ),
    (
        "Consent",
        prose(
            "She will be told who interviews her and why, how her account may be used in court and "
            "disclosed to the defence, who will have access to it, the risks, and that she may refuse, "
            "skip a question, pause or end the interview and set restrictions."
        ),
    ),
    (
        "Interview plan",
        prose(
            "After introductions and a short rapport phase the interviewer explains the ground rules. "
            "The interview then opens with a free narrative in which she decides what to say. Open "
            "questions follow, limited to what the elements of rape require, and a closure phase."
        ),
    ),
    (
        "Question areas",
        prose(
            "What happened at the roadblock, who was present, what the fighters said, and what she saw "
            "happen to others; names, ranks and descriptions of the officers."
        ),
    ),
    (
        "Support and referrals",
        prose(
            "A psychologist is on call during the interview. Medical, psychosocial and legal services are "
            "mapped and offered whether or not she agrees to be interviewed."
        ),
    ),
    (
        "Follow-up and feedback plan",
        prose(
            "The focal point will call her through the partner centre two weeks after the interview to "
            "check on her well-being and explain the next steps, without promising outcomes."
        ),
    ),
    (
        "Risk and security",
        prose(
            "The VWU completed the individual risk assessment on 7 March, before the first contact. "
            "Contact is only through the partner centre and transport is arranged by the centre."
        ),
    ),
    (
        "Recording and storage",
        prose(
            "The interview is audio-recorded on an encrypted OTP device. Only the witness code is used in "
            "notes and file names. Access is limited to the interviewer, the team leader and the focal "
            "point, as listed on the need-to-know access list."
        ),
    ),
]


def io_adult(*modifiers: Modifier, **overrides: Any) -> ProductSpec:
    return _build(IO_ADULT_FRONT, IO_ADULT_SECTIONS, "Interview outline EX-S-001", modifiers, overrides)


# --------------------------------------------------------------------------- IO child (SGBC survivor, CAAFAG)
IO_CHILD_FRONT = {
    "product": _product(
        "IO-ALPHA-2025-104", "IO", "Interview outline: witness AL-C-104 (second interview)", "2025-08-15"
    ),
    "witnesses": [
        {
            "code": "AL-C-104",
            "age": 15,
            "gender": "female",
            "sgbc_survivor": True,
            "caafag": True,
            "disability": False,
        }
    ],
    "interview": {
        "date": "2025-08-26",
        "first_contact_on": "2025-08-12",
        "sequence": 2,
        "interviewer": "AL-03",
        "interpreter": "AL-12",
        "intermediary": None,
        "note_taker": "AL-05",
        "planned_block_minutes": 45,
        "breaks_planned": True,
        "phases": ["introduction", "rapport", "ground_rules", "free_narrative", "open_questions", "closure"],
        "detail_limited_to": ["sexual_slavery", "forced_marriage"],
        "location": {
            "description": "Interview suite of the child-protection agency; separate entrance",
            "private": True,
            "observable": False,
            "perpetrator_contact_risk": "none",
        },
        "recording": "video",
    },
    "reinterview": {
        "necessity": (
            "The first interview in March 2025 was stopped after twenty minutes at her request "
            "and did not cover the period in the camp; she has since asked to complete her account."
        ),
        "approved_by": "AL-02",
        "approved_on": "2025-08-05",
    },
    "consent": {
        "child": True,
        "guardian": False,
        "alternative_guardian_rationale": (
            "Her uncle, who is her legal guardian, is suspected of having handed her over to the armed "
            "group; the agency appointed an independent guardian, who consented after the full explanation."
        ),
        "elements": ["purpose", "use", "disclosure", "access", "risks", "right_to_stop"],
        "recorded_on": "2025-08-12",
    },
    "psychosocial_assessment": {
        "date": "2025-08-14",
        "assessor": "GX-01",
        "outcome": "proceed_with_conditions",
        "conditions": "Blocks of 45 minutes at most; foster carer present",
        "max_block_minutes": 45,
    },
    "psychosocial_support": {"during": "present", "expert": "GX-01"},
    "support_person": {
        "offered": True,
        "child_wishes": "She wants her foster carer to sit with her",
        "accepted": True,
        "relation": "foster carer",
        "conflict_check": "passed",
    },
    "referral_pathway": {
        "medical": {"provider": "District hospital, adolescent and post-rape care unit"},
        "psychosocial": {"provider": "GCU psychologist, then the agency's counselling team"},
        "legal": {"provider": "Child-protection agency legal officer"},
        "shelter_livelihood": {"provider": "Foster placement and vocational training programme"},
        "child_protection": {"provider": "Child-protection agency case officer"},
    },
    "gender_choice": {"offered": True, "interviewer": "female", "interpreter": "no_preference"},
    "interpreter_vetting": {
        "briefed_sgbc": True,
        "confidentiality_signed": True,
        "community_conflict": False,
        "survivor_waiver": False,
    },
    "risk_assessment": {
        "completed_on": "2025-08-08",
        "by": "VWU with AL-02",
        "mitigations": "Contact only through the agency case officer; no contact with the uncle's family",
    },
}

CHILD_APPROACH_STOP = (
    "At the start she is reminded that she can pause, skip a question or stop at any time, and she "
    "agrees a hand signal for stop."
)
CHILD_APPROACH_CORE = (
    "The interviewer speaks directly to her, in short sentences, and checks understanding often. "
    "Blocks last no more than 45 minutes, as the psychologist required, with breaks between them. "
    "Questions are open; no question suggests an answer."
)

IO_CHILD_SECTIONS = [
    (
        "Summary",
        prose(
            "AL-C-104 is a 15-year-old girl who spent about seven months with the brigade in 2024, first as "
            "a porter and then at the river camp. She was interviewed once in March 2025; that interview was "
            "halted at her request. This outline plans one further, final interview."
        ),
    ),
    (
        "Purpose of the interview",
        prose(
            "To let her complete her account of her time with the brigade, in particular the period at the "
            "river camp, so far as the elements of sexual slavery and forced marriage require."
        ),
    ),
    (
        "Prior accounts check",
        prose(
            "The team checked the Office's evidence registry, the UN human rights office and the two "
            "documentation groups. The only account is the Office's own partial interview of March 2025. "
            "No other organisation has interviewed her."
        ),
    ),
    (
        "Necessity and best interests",
        prose(
            "She is the only identified witness who was held at the river camp and can name the officers who "
            "ran it. She has asked to finish her account, and her foster carer and the psychologist consider "
            "that completing it in one session is in her best interests."
        ),
    ),
    (
        "Consent",
        prose(
            "She gave her own agreement after an explanation, in her language and with simple drawings, of "
            "who we are, why we want to listen, how a video of the interview may be used, who else will see "
            "it, the risks, and that she can end the interview whenever she wants."
        ),
    ),
    ("Child-sensitive approach", prose(CHILD_APPROACH_CORE, CHILD_APPROACH_STOP)),
    (
        "CAAFAG safeguards",
        prose(
            "She is interviewed as a victim and witness. She will not be asked about acts she may have been "
            "made to commit, and if she raises them the interviewer will not pursue them. She was told that "
            "nothing she says will be used against her and that she is not a suspect."
        ),
    ),
    (
        "Interview plan",
        prose(
            "Introduction and rapport; ground rules with the hand signal; free narrative starting where the "
            "first interview ended; open questions limited to the elements of sexual slavery and forced "
            "marriage; closure on a positive topic."
        ),
    ),
    (
        "Question areas",
        prose(
            "Life at the camp; who decided where the girls slept and worked; what she saw happen to others; "
            "names, ranks and descriptions of the officers."
        ),
    ),
    (
        "Support and referrals",
        prose(
            "The GCU psychologist is in the room throughout and will see her before and after the interview. "
            "The agency provides medical, psychosocial, legal, shelter and child-protection support."
        ),
    ),
    (
        "Follow-up and feedback plan",
        prose(
            "The focal point will call the case officer one week and one month after the interview. She and "
            "her foster carer will be told in plain words what happens next. No promise will be made about "
            "the outcome of the case."
        ),
    ),
    (
        "Risk and security",
        prose(
            "The VWU completed the individual risk assessment on 8 August, before the agency contacted her. "
            "Contact is only through the case officer and transport is arranged by the agency."
        ),
    ),
    (
        "Recording and storage",
        prose(
            "The interview is video-recorded on an encrypted OTP camera. Only the code AL-C-104 is used in "
            "notes and file names. Access is limited to the interviewer, the note-taker, the focal point and "
            "the psychologist, as recorded on the need-to-know list."
        ),
    ),
]


def io_child(*modifiers: Modifier, **overrides: Any) -> ProductSpec:
    return _build(IO_CHILD_FRONT, IO_CHILD_SECTIONS, "Interview outline AL-C-104", modifiers, overrides)


# --------------------------------------------------------------------------- CH / CS
CH_FACTS = (
    "From March 2024 the brigade raided the market towns of the eastern district. Fighters killed at "
    "least twelve traders who refused to hand over their stock and looted the warehouses and shops. "
    "Residents fled to the hills and returned weeks later to find their homes burned."
)

CH_FRONT = {
    "product": _product("CH-ALPHA-2025-01", "CH", "Case hypothesis: brigade commander (S-ALP-1)", "2025-06-30"),
    "suspects": ["S-ALP-1"],
    "counts": [
        {
            "no": 1,
            "article": "7(1)(a)",
            "crime": "murder",
            "label": "Murder",
            "is_sgbc": False,
            "is_cac": False,
            "status": "proposed",
        },
        {
            "no": 2,
            "article": "8(2)(e)(v)",
            "crime": "pillage",
            "label": "Pillaging",
            "is_sgbc": False,
            "is_cac": False,
            "status": "proposed",
        },
    ],
}

CH_SECTIONS = [
    (
        "Summary",
        prose(
            "This hypothesis sets out the case against S-ALP-1, commander of the brigade, for crimes "
            "committed in the market towns of the eastern district in 2024."
        ),
    ),
    ("Facts", prose(CH_FACTS)),
    (
        "Suspects",
        prose(
            "S-ALP-1 commanded the brigade throughout the period and issued the orders for the raids by "
            "radio, according to three insiders."
        ),
    ),
    (
        "Legal characterisation",
        prose(
            "The team proposes two counts: murder and pillage. Further counts will be considered as the "
            "evidence develops."
        ),
    ),
    (
        "Linkage and liability for SGBC counts",
        prose(
            "Linkage for any SGBC count will rest on the commander's orders and on the radio logs; modes of "
            "liability and mental elements will be analysed for each such count separately."
        ),
    ),
    (
        "Evidence and gaps",
        prose(
            "Evidence: radio logs seized by the police, three insider statements and satellite imagery. "
            "Gaps: the identity of the unit commanders in two towns."
        ),
    ),
]


def ch(*modifiers: Modifier, **overrides: Any) -> ProductSpec:
    return _build(CH_FRONT, CH_SECTIONS, "Case hypothesis: S-ALP-1", modifiers, overrides)


CS_FRONT = copy.deepcopy(CH_FRONT)
CS_FRONT["product"] = _product(
    "CS-ALPHA-2025-01", "CS", "Charging strategy: S-ALP-1 (AWA draft)", "2025-07-30", audience="court"
)
CS_FRONT["product"]["stage"] = "AWA"
CS_SECTIONS = CH_SECTIONS + [
    (
        "Filing strategy",
        prose(
            "The application for a warrant of arrest will be filed in the third quarter, after the "
            "remaining insider statements are secured."
        ),
    ),
]


def cs(*modifiers: Modifier, **overrides: Any) -> ProductSpec:
    return _build(CS_FRONT, CS_SECTIONS, "Charging strategy: S-ALP-1", modifiers, overrides)


# --------------------------------------------------------------------------- MP
MP_FRONT = {
    "product": _product("MP-ALPHA-2025-02", "MP", "Mission plan: mission 2 to Port Lira", "2025-08-25"),
    "witnesses": [
        {
            "code": "AL-C-210",
            "age": 16,
            "gender": "female",
            "sgbc_survivor": True,
            "caafag": False,
            "interviewer": "AL-03",
            "interpreter": "AL-11",
            "interview_date": "2025-09-09",
        },
        {
            "code": "AL-S-221",
            "age": 33,
            "gender": "female",
            "sgbc_survivor": True,
            "interviewer": "AL-04",
            "interpreter": "AL-12",
            "interview_date": "2025-09-09",
        },
        {
            "code": "AL-W-230",
            "age": 45,
            "gender": "male",
            "sgbc_survivor": False,
            "interviewer": "AL-04",
            "interpreter": "AL-12",
            "interview_date": "2025-09-10",
        },
        {
            "code": "AL-C-240",
            "age": 12,
            "gender": "male",
            "sgbc_survivor": False,
            "caafag": True,
            "interviewer": "AL-03",
            "interpreter": "AL-11",
            "interview_date": "2025-09-10",
        },
    ],
    "mission": {
        "start": "2025-09-08",
        "end": "2025-09-12",
        "location": "Port Lira",
        "venue": {
            "description": "Rented house on the edge of town, two interview rooms, walled garden",
            "private": True,
            "observable": False,
            "perpetrator_contact_risk": "none",
        },
        "team": [
            {"staff": "AL-03", "role": "interviewer"},
            {"staff": "AL-04", "role": "interviewer"},
            {"staff": "AL-11", "role": "interpreter"},
            {"staff": "AL-12", "role": "interpreter"},
            {"staff": "GX-01", "role": "psychologist"},
        ],
        "schedule": [
            {"date": "2025-09-09", "interviewer": "AL-03", "sensitive_interviews": 1},
            {"date": "2025-09-09", "interviewer": "AL-04", "sensitive_interviews": 1},
            {"date": "2025-09-10", "interviewer": "AL-03", "sensitive_interviews": 1},
            {"date": "2025-09-10", "interviewer": "AL-04", "sensitive_interviews": 0},
        ],
    },
    "psychosocial_support": {"confirmed": True, "expert": "GX-01"},
    "referral_pathway": {
        "medical": {"provider": "District hospital (post-rape care and paediatrics)"},
        "psychosocial": {"provider": "Women's network counselling service"},
        "legal": {"provider": "Legal-aid clinic"},
        "shelter_livelihood": {"provider": "Women's network shelter"},
        "child_protection": {"provider": "Municipal child-protection office"},
    },
}

MP_SECTIONS = [
    (
        "Summary",
        prose(
            "Mission 2 will interview four witnesses in Port Lira about the brigade's raids and the island "
            "camp: an adolescent girl and an adult woman held on the island, an adult man who saw a raid, "
            "and a child who was used by the brigade as a lookout."
        ),
    ),
    (
        "Objectives",
        prose(
            "To record the accounts of the four witnesses with the least possible burden on them and to "
            "brief the local referral partners on the Office's follow-up procedures."
        ),
    ),
    (
        "Witness profiles",
        prose(
            "Two witnesses were held on the island camp, one is a fisher who saw a raid, and one was used as "
            "a lookout for several weeks. Each has had a psychosocial assessment by the GCU psychologist."
        ),
    ),
    (
        "Team composition",
        prose(
            "Two interviewers (one woman, one man) and two interpreters (one woman, one man) allow each "
            "survivor to choose the gender of the interviewer and interpreter."
        ),
    ),
    (
        "Schedule and pacing",
        prose(
            "No interviewer conducts more than one sensitive interview on any day; the last two days are kept "
            "free for follow-up sessions and debriefing."
        ),
    ),
    (
        "Witness safety plan",
        prose(
            "Interviews take place in a rented house that cannot be seen from the road. Witnesses are "
            "collected by the partner organisations at staggered times in unmarked vehicles; nobody is met "
            "at home. An emergency protocol agreed with the VWU covers threats and medical emergencies."
        ),
    ),
    (
        "Staff security",
        prose(
            "Staff stay in a hotel in the town centre, check in by radio every three hours, and do not "
            "travel after dark."
        ),
    ),
    (
        "Support and referrals",
        prose(
            "The GCU psychologist is deployed with the team. Referral partners for medical, psychosocial, "
            "legal, shelter and child-protection needs have confirmed their availability."
        ),
    ),
    (
        "Data handling plan",
        prose(
            "Interviews are recorded on encrypted OTP devices. Each evening the recordings are uploaded "
            "through the secure link, logged on the chain of custody form and wiped from the devices."
        ),
    ),
    (
        "Staff welfare",
        prose(
            "The team holds a short debrief each evening, led by the GCU psychologist. The psychologist "
            "offers each interviewer and interpreter an individual session after the mission."
        ),
    ),
]


def mp(*modifiers: Modifier, **overrides: Any) -> ProductSpec:
    return _build(MP_FRONT, MP_SECTIONS, "Mission plan: mission 2 to Port Lira", modifiers, overrides)


# --------------------------------------------------------------------------- AP
TEAM_ALPHA_CERTIFIABLE = ["AL-01", "AL-02", "AL-03", "AL-04", "AL-05", "AL-11", "AL-12", "AL-13"]

AP_FRONT = {
    "product": _product("AP-ALPHA-2026", "AP", "Unified Team Alpha: Annual Plan 2026", "2025-11-20"),
    "training_targets": [
        {"staff": "AL-01", "cert": "SGBC_BASIC", "by": "2026-12-31"},
        {"staff": "AL-02", "cert": "CAC_ADV", "by": "2026-06-30"},
        {"staff": "AL-03", "cert": "SGBC_ADV", "by": "2026-02-28"},
        {"staff": "AL-04", "cert": "CAC_ADV", "by": "2026-09-30"},
        {"staff": "AL-05", "cert": "CAC_BASIC", "by": "2026-12-31"},
        {"staff": "AL-11", "cert": "CAC_BASIC", "by": "2026-12-31"},
        {"staff": "AL-12", "cert": "SGBC_BASIC", "by": "2026-03-31"},
        {"staff": "AL-13", "cert": "CAC_BASIC", "by": "2026-03-31"},
    ],
    "gcu_review_schedule": [
        {"product_type": "CS", "due": "2026-Q1"},
        {"product_type": "MP", "due": "2026-Q2"},
        {"product_type": "IP", "due": "2026-Q3"},
    ],
}

AP_SECTIONS = [
    (
        "Summary",
        prose(
            "In 2026 the team will file an arrest warrant application, complete the investigation of the "
            "eastern district raids and open a new investigation."
        ),
    ),
    (
        "Objectives",
        prose(
            "File the application in the first quarter; complete two missions by the third quarter; open "
            "the new investigation with a plan in the third quarter."
        ),
    ),
    (
        "Resources",
        prose(
            "Three missions are requested, a second interpreter and six months of support from a "
            "digital-evidence analyst."
        ),
    ),
    (
        "Training and certification",
        prose(
            "Every team member has a target for 2026 in the front matter of this plan. The team will also "
            "secure on-call access to a GCU psychologist for all missions."
        ),
    ),
    (
        "GCU review schedule",
        prose(
            "The GCU will review the charging strategy in the first quarter, the mission plans in the second "
            "quarter and the new investigation plan in the third quarter."
        ),
    ),
    (
        "CSO and survivor engagement",
        prose(
            "The team will meet the two survivor associations of the district each quarter, with the GCU, to "
            "report on progress and hear their concerns."
        ),
    ),
]


def ap(*modifiers: Modifier, **overrides: Any) -> ProductSpec:
    return _build(AP_FRONT, AP_SECTIONS, "Unified Team Alpha: Annual Plan 2026", modifiers, overrides)


# --------------------------------------------------------------------------- GA
GA_TABLE = (
    "| Group | Women | Men | Girls | Boys |\n"
    "|---|---|---|---|---|\n"
    "| Adults (18 and over) | 96 | 41 | - | - |\n"
    "| Children (under 18) | - | - | 22 | 21 |"
)
GA_VULNERABLE = (
    "Persons with disabilities were often left behind when villages fled. Older persons, especially "
    "widows, have lost their livelihood. LGBTQI+ persons have been threatened in the camps and avoid "
    "the documentation groups."
)

GA_FRONT = {
    "product": _product("GA-ALPHA-2025-03", "GA", "Gender and children analysis: eastern district", "2025-09-22"),
}

GA_SECTIONS = [
    (
        "Summary",
        prose(
            "This analysis summarises the patterns of harm in the eastern district since March 2024 and the "
            "barriers that survivors face when they seek help or justice."
        ),
    ),
    (
        "Scope and sources",
        prose(
            "The analysis draws on 180 incident records shared by two documentation groups, the "
            "registration data of two camps, and reports of the UN human rights office."
        ),
    ),
    ("Disaggregated data", prose("The incident records give the following breakdown of victims.") + "\n\n" + GA_TABLE),
    (
        "Data gaps",
        prose(
            "The documentation groups do not record the place of each incident consistently. A common "
            "minimum data set will be agreed with them by the end of the year."
        ),
    ),
    (
        "Gender norms and power relations",
        prose(
            "In the fishing settlements a woman's status depends on marriage, and those who return from the "
            "camps are often rejected by their families. Local leaders decide which families are referred to "
            "aid, which keeps many returning survivors out of view."
        ),
    ),
    ("Intersectional and vulnerable groups", prose(GA_VULNERABLE)),
    (
        "Recommendations",
        prose(
            "Agree a common minimum data set with the documentation groups and make the complaint mechanism "
            "of the camps accessible to everyone."
        ),
    ),
]


def ga(*modifiers: Modifier, **overrides: Any) -> ProductSpec:
    return _build(GA_FRONT, GA_SECTIONS, "Gender and children analysis: eastern district", modifiers, overrides)


BASELINES: dict[str, Callable[..., ProductSpec]] = {
    "IP": ip,
    "IO-adult-sgbc": io_adult,
    "IO-child": io_child,
    "CH": ch,
    "CS": cs,
    "MP": mp,
    "AP": ap,
    "GA": ga,
}


# --------------------------------------------------------------------------- roster
def _certs(staff_id: str, *certs: str, issued: str = "2024-01-01", expires: str = "2027-12-31") -> list[dict]:
    return [{"staff_id": staff_id, "cert": c, "issued": issued, "expires": expires} for c in certs]


ALL_CERTS = ("SGBC_BASIC", "SGBC_ADV", "CAC_BASIC", "CAC_ADV")
BASIC = ("SGBC_BASIC", "CAC_BASIC")


def base_roster_dict() -> dict:
    return {
        "teams": [
            {
                "id": "T-ALPHA",
                "name": "Unified Team Alpha",
                "situation": "Situation in Exampleland (fictional)",
                "leader": "AL-01",
                "focal_points": {"sgbc": "AL-02", "cac": "AL-02"},
                "members": ["AL-03", "AL-04", "AL-05", "AL-11", "AL-12", "AL-13"],
            }
        ],
        "staff": [
            {"id": "AL-01", "name": "Leader One", "gender": "male", "team": "T-ALPHA", "roles": ["team_leader"]},
            {
                "id": "AL-02",
                "name": "Focal Two",
                "gender": "female",
                "team": "T-ALPHA",
                "roles": ["investigator", "focal_point"],
            },
            {
                "id": "AL-03",
                "name": "Investigator Three",
                "gender": "female",
                "team": "T-ALPHA",
                "roles": ["investigator"],
                "designations": ["interviews_sgbc_survivors", "interviews_children"],
            },
            {
                "id": "AL-04",
                "name": "Investigator Four",
                "gender": "male",
                "team": "T-ALPHA",
                "roles": ["investigator"],
                "designations": ["interviews_sgbc_survivors", "interviews_children"],
            },
            {"id": "AL-05", "name": "Note-taker Five", "gender": "female", "team": "T-ALPHA", "roles": ["note_taker"]},
            {
                "id": "AL-11",
                "name": "Interpreter Eleven",
                "gender": "female",
                "team": "T-ALPHA",
                "roles": ["interpreter"],
            },
            {
                "id": "AL-12",
                "name": "Interpreter Twelve",
                "gender": "male",
                "team": "T-ALPHA",
                "roles": ["interpreter"],
            },
            {
                "id": "AL-13",
                "name": "Intermediary Thirteen",
                "gender": "female",
                "team": "T-ALPHA",
                "roles": ["intermediary"],
            },
            {"id": "GX-01", "name": "Psychologist One", "gender": "female", "team": None, "roles": ["psychologist"]},
            {"id": "GX-02", "name": "Reviewer Two", "gender": "male", "team": None, "roles": ["gcu_reviewer"]},
            {"id": "GX-03", "name": "Head Three", "gender": "female", "team": None, "roles": ["gcu_head"]},
            {"id": "GX-04", "name": "Analyst Four", "gender": "non_binary", "team": None, "roles": ["analyst"]},
        ],
        "certifications": (
            _certs("AL-01", *BASIC)
            + _certs("AL-02", "SGBC_BASIC", "CAC_BASIC", "SGBC_ADV")
            + _certs("AL-03", *ALL_CERTS)
            + _certs("AL-04", *ALL_CERTS)
            + _certs("AL-05", *BASIC)
            + _certs("AL-11", *BASIC)
        ),
        "briefings": [
            {"staff_id": "AL-12", "area": "SGBC", "date": "2024-06-01", "expires": "2026-05-31", "briefed_by": "AL-02"},
            {"staff_id": "AL-12", "area": "CAC", "date": "2024-06-01", "expires": "2026-05-31", "briefed_by": "AL-02"},
            {"staff_id": "AL-13", "area": "SGBC", "date": "2024-06-01", "expires": "2026-05-31", "briefed_by": "AL-02"},
            {"staff_id": "AL-13", "area": "CAC", "date": "2024-06-01", "expires": "2026-05-31", "briefed_by": "AL-02"},
        ],
    }


def roster_text(data: dict) -> str:
    return to_yaml(data)


def make_roster(data: dict):
    from rules.roster import parse_roster_text

    return parse_roster_text(roster_text(data)).roster


@lru_cache(maxsize=1)
def _base_roster_cached():
    return make_roster(base_roster_dict())


def base_roster():
    return _base_roster_cached()


def roster_with(mutate: Callable[[dict], Any]):
    """A roster built from the baseline dict after `mutate(data)` changed it in place."""
    data = base_roster_dict()
    mutate(data)
    return make_roster(data)


def staff_entry(data: dict, staff_id: str) -> dict:
    return next(s for s in data["staff"] if s["id"] == staff_id)


def remove_records(data: dict, staff_id: str, cert: str | None = None) -> None:
    data["certifications"] = [
        r for r in data["certifications"] if not (r["staff_id"] == staff_id and (cert is None or r["cert"] == cert))
    ]


def remove_briefings(data: dict, staff_id: str, area: str | None = None) -> None:
    data["briefings"] = [
        b for b in data["briefings"] if not (b["staff_id"] == staff_id and (area is None or b["area"] == area))
    ]


# --------------------------------------------------------------------------- result helpers
def by_rule(result) -> dict:
    return {f.rule_id: f for f in result.findings}


def rule_ids(result) -> set[str]:
    return {f.rule_id for f in result.findings}


def finding(result, rule_id: str):
    """The one finding of `rule_id`; fails with the whole result when it is missing."""
    hits = [f for f in result.findings if f.rule_id == rule_id]
    assert hits, (
        f"{rule_id} did not fire; findings: {[(f.rule_id, f.severity, f.location) for f in result.findings]}; errors: {result.errors}"
    )
    assert len(hits) == 1, f"{rule_id} fired {len(hits)} times (at most one finding per rule, §1.2)"
    return hits[0]


def missing_heading(key: str) -> frozenset[str]:
    """Where a rule's Location names only `section:<key>`, a missing heading may be reported there or
    as `product` (requirements.md §1.2: "product (no better place, e.g. a missing heading)")."""
    return frozenset({f"section:{key}", "product"})


def assert_fires(
    spec: ProductSpec, rule_id: str, severity: str | None = None, location: str | None = None, roster=None
):
    result = spec.check(roster)
    hit = finding(result, rule_id)
    if severity is not None:
        assert hit.severity == severity, f"{rule_id}: severity {hit.severity}, expected {severity}"
    if isinstance(location, (set, frozenset, tuple)):
        assert hit.location in location, f"{rule_id}: location {hit.location!r}, expected one of {location!r}"
    elif location is not None:
        assert hit.location == location, f"{rule_id}: location {hit.location!r}, expected {location!r}"
    return hit


def assert_silent(spec: ProductSpec, rule_id: str, roster=None):
    result = spec.check(roster)
    assert result.errors == [], f"unexpected format errors: {result.errors}"
    assert rule_id not in rule_ids(result), (
        f"{rule_id} fired: {[(f.rule_id, f.severity, f.location, f.message) for f in result.findings if f.rule_id == rule_id]}"
    )
    return result
