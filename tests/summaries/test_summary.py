"""The compliance summary of a known dataset (tests/summaries/dataset.py, figures worked out by
hand there): data, HTML, PDF, storage, listing."""

import io
import re

import pytest
from pypdf import PdfReader
from sqlmodel import Session

from models.summary_messages import SummaryPeriod, previous_period
from store.db import session_scope
from summaries.data import build_summary_data
from summaries.produce import produce_summary
from summaries.render import SummaryRenderer
from summaries.store import deputy_prosecutor_ids, get_summary, list_summaries
from tests.summaries import dataset


@pytest.fixture
def known(fresh_engine):
    with Session(fresh_engine) as s:
        dataset.build(s)
    return fresh_engine


def data_of(engine, dp="DP-1"):
    with Session(engine) as s:
        return build_summary_data(session=s, deputy_prosecutor_id=dp, period=dataset.PERIOD, as_of=dataset.AS_OF)


def test_review_figures_per_team_and_in_total(known):
    d = data_of(known)
    per_team = {t.team_id: (t.reviewed, t.approved, t.returned, t.open_blocking, t.overdue) for t in d.teams}
    assert per_team == {"TA": (1, 1, 1, 2, 1), "TB": (1, 0, 1, 1, 1)}
    assert (d.reviewed, d.approved, d.returned, d.open_blocking, d.overdue) == (2, 1, 2, 3, 2)


def test_overdue_reviews_are_listed_oldest_due_first(known):
    d = data_of(known)
    assert [(r.product_id, r.days_overdue, r.state) for r in d.overdue_reviews] == [
        ("PB3", 7, "escalated"),
        ("PA2", 2, "in_review"),
    ]


def test_most_frequent_findings_by_rule_exclude_advisory(known):
    d = data_of(known)
    assert [(f.rule_id, f.count, f.products, f.severity) for f in d.top_findings] == [
        ("R-1", 3, 3, "blocking"),
        ("R-2", 3, 2, "major"),
        ("R-3", 1, 1, "minor"),
    ]


def test_kpi12_of_the_cluster_with_its_trend(known):
    d = data_of(known)
    kpis = {k.kpi: k for k in d.kpis}
    assert set(kpis) == {"10", "11", "12", "SPU"}
    spu = kpis["SPU"]  # the cluster's interview records only (IRC1 is DP-2's)
    assert (spu.period, spu.numerator, spu.denominator, spu.value) == ("2026-Q1", 1, 2, 0.5)
    k12 = kpis["12"]
    assert (k12.period, k12.numerator, k12.denominator, k12.value, k12.status) == ("2026-Q1", 2, 4, 0.5, "not met")
    assert [(p.period, p.value) for p in k12.trend] == [
        ("2025-Q2", 0.75),
        ("2025-Q3", 0.75),
        ("2025-Q4", 0.75),
        ("2026-Q1", 0.5),
    ]
    assert {p.period: p.value for p in k12.per_team} == {"TA": 2 / 3, "TB": 0.0}
    assert "§7.3" in k12.citation


def test_certification_gaps_of_the_cluster_only(known):
    d = data_of(known)
    assert sorted((g.staff_id, g.requirement, g.status) for g in d.certification_gaps) == [
        ("IA2", "CAC_BASIC", "missing"),
        ("LB", "SGBC_BASIC", "expired"),
    ]


def test_another_deputy_prosecutor_sees_only_their_team(known):
    d = data_of(known, "DP-2")
    assert [t.team_id for t in d.teams] == ["TC"]
    assert (d.reviewed, d.approved, d.open_blocking, d.overdue) == (1, 1, 1, 1)


def test_a_deputy_prosecutor_without_teams_gets_an_empty_summary_that_says_so(known):
    with session_scope(known) as s:
        from tests.summaries.factories import staff

        staff(s, "DP-3", ["deputy_prosecutor"])
    d = data_of(known, "DP-3")
    assert d.teams == [] and d.reviewed == 0 and d.top_findings == []
    assert "No active team has DP-3" in d.notes[0]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_stored_summary_html_and_pdf_show_the_figures(known):
    with session_scope(known) as s:
        ref = produce_summary(
            session=s,
            deputy_prosecutor_id="DP-1",
            period=dataset.PERIOD,
            as_of=dataset.AS_OF,
            renderer=SummaryRenderer("https://gcu.test"),
        )
    with Session(known) as s:
        stored = get_summary(session=s, summary_id=ref.summary_id)
    assert (stored.reviewed, stored.approved, stored.returned, stored.open_blocking, stored.overdue) == (2, 1, 2, 3, 2)

    html = _text(stored.html)
    assert "Compliance summary for Amina Deputy (DP-1)" in html
    assert "Period 2026-03-02 to 2026-03-08" in html
    for figure in ("2 products reviewed", "1 approved", "2 returned", "3 open blocking findings", "2 overdue reviews"):
        assert figure in html
    assert "Team TA (TA) 1 1 1 2 1" in html and "Team TB (TB) 1 0 1 1 1" in html
    assert "R-1: Rule R-1 blocking 3 3" in html and "R-9" not in html
    assert "KPI 12: Certified staff" in html and "50% (2/4)" in html
    assert (
        "SPU indicator: Vulnerable witnesses interviewed with psychosocial support" in html and "50% (1/2)" in html
    ), html[html.find("KPIs 10") :][:1500]
    assert "2025-Q4: 75%; 2026-Q1: 50%" in html
    assert 'href="https://gcu.test/products/PB3"' in stored.html
    assert "PC1" not in html and "(TC)" not in html

    pdf = PdfReader(io.BytesIO(stored.pdf))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pdf.pages))
    assert pdf.metadata.title == "Compliance summary DP-1 2026-03-02 to 2026-03-08"
    assert "Compliance summary for Amina Deputy" in text
    for figure in (
        "Products reviewed: 2",
        "Approved: 1",
        "Returned: 2",
        "Open blocking findings: 3",
        "Overdue reviews: 2",
    ):
        assert figure in text
    assert "Team TA (TA) 1 1 1 2 1" in text
    assert "PB3: Plan PB3" in text and "7" in text
    assert "R-1: Rule R-1 blocking 3 3" in text
    assert "KPI 12: Certified staff (2026-Q1): 50% (2/4)" in text
    assert "SPU indicator: Vulnerable witnesses interviewed with psychosocial support (2026-Q1): 50% (1/2)" in text
    assert "IA2 (IA2)" in text and "CAC_BASIC missing" in text
    assert "PC1" not in text


def test_producing_again_replaces_the_summary_of_the_same_period(known):
    renderer = SummaryRenderer()
    with session_scope(known) as s:
        first = produce_summary(
            session=s, deputy_prosecutor_id="DP-1", period=dataset.PERIOD, as_of=dataset.AS_OF, renderer=renderer
        )
        other = produce_summary(
            session=s, deputy_prosecutor_id="DP-2", period=dataset.PERIOD, as_of=dataset.AS_OF, renderer=renderer
        )
        older = produce_summary(
            session=s,
            deputy_prosecutor_id="DP-1",
            period=SummaryPeriod(
                start=dataset.PERIOD.start.replace(day=1) - dataset.PERIOD.start.resolution * 28,
                end=dataset.PERIOD.start.replace(day=1),
            ),
            as_of=dataset.AS_OF,
            renderer=renderer,
        )
    with session_scope(known) as s:
        again = produce_summary(
            session=s, deputy_prosecutor_id="DP-1", period=dataset.PERIOD, as_of=dataset.AS_OF, renderer=renderer
        )
    assert (again.summary_id, again.replaced, first.replaced) == (first.summary_id, True, False)
    with Session(known) as s:
        assert [x.id for x in list_summaries(session=s)] == [first.summary_id, other.summary_id, older.summary_id]
        assert [x.id for x in list_summaries(session=s, deputy_prosecutor_id="DP-1")] == [
            first.summary_id,
            older.summary_id,
        ]
        assert get_summary(session=s, summary_id=10_000) is None


def test_every_deputy_prosecutor_named_by_a_team_or_by_role_gets_a_summary(known):
    with Session(known) as s:
        assert deputy_prosecutor_ids(session=s) == ["DP-1", "DP-2"]
        assert deputy_prosecutor_ids(session=s, only="DP-2") == ["DP-2"]


def test_the_scheduled_period_is_the_week_before_the_run():
    from datetime import date

    week = previous_period(date(2026, 3, 9), 7)
    assert (week.start, week.end) == (date(2026, 3, 2), date(2026, 3, 8))
    with pytest.raises(ValueError):
        previous_period(date(2026, 3, 9), 0)


def test_the_pdf_keeps_a_requirement_of_several_certificates_whole_in_its_cell(known):
    """A requirement met by either of two certificates ("SGBC_ADV|CAC_ADV") was broken mid-word in
    the PDF's narrow column ("SGBC_ADV|CAC_A" / "DV"); it reads "SGBC_ADV or CAC_ADV" in one piece."""
    d = data_of(known)
    gap = d.certification_gaps[0].model_copy(update={"requirement": "SGBC_ADV|CAC_ADV"})
    d = d.model_copy(update={"certification_gaps": [gap, *d.certification_gaps[1:]]})
    pdf = PdfReader(io.BytesIO(SummaryRenderer().pdf(d, dataset.AS_OF)))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "SGBC_ADV or CAC_ADV" in re.sub(r"\s+", " ", text)
    assert not re.search(r"CAC_A\s+DV", text)


def _rows(k, name):
    return [(b.key, b.numerator, b.denominator, b.value) for b in k.breakdowns[name]]


def test_the_spu_indicator_of_the_cluster_is_broken_down_by_team_situation_and_category(known):
    """Contract v2 §6.1: N, D and N/D per team, situation and vulnerability category, over the
    cluster's records only (IRC1 is DP-2's); a record counts in every category of its witness."""
    spu = {k.kpi: k for k in data_of(known).kpis}["SPU"]
    assert _rows(spu, "team") == [("TA", 1, 2, 0.5)]
    assert _rows(spu, "situation") == [("Velmora", 1, 2, 0.5)]
    assert _rows(spu, "vulnerability_category") == [("child", 1, 2, 0.5), ("sgbc_survivor", 1, 1, 1.0)]
    other = {k.kpi: k for k in data_of(known, "DP-2").kpis}["SPU"]
    assert _rows(other, "vulnerability_category") == [("lgbtqi", 1, 1, 1.0)]
    assert all(not k.breakdowns for k in data_of(known).kpis if k.kpi != "SPU")


def test_the_html_and_pdf_summaries_show_the_spu_breakdowns(known):
    d = data_of(known)
    renderer = SummaryRenderer()
    html = renderer.html(d, dataset.AS_OF)
    category = re.search(r'<table id="spu-vulnerability-category">(.*?)</table>', html, re.S).group(1)
    assert "By vulnerability category" in category
    assert re.search(
        r'data-key="child"><th scope="row">child</th><td class="n">1</td><td class="n">2</td><td class="n">50%</td>',
        category,
    )
    assert re.search(
        r'data-key="sgbc_survivor"><th scope="row">sgbc survivor</th><td class="n">1</td><td class="n">1</td><td class="n">100%</td>',
        category,
    )
    assert "lgbtqi" not in category
    assert 'id="spu-team"' in html and 'id="spu-situation"' in html
    assert "the category rows do not add up to the total" in html

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(renderer.pdf(d, dataset.AS_OF))).pages)
    text = re.sub(r"\s+", " ", text)
    assert "SPU indicator by vulnerability category" in text
    assert "child 1 2 50%" in text and "sgbc survivor 1 1 100%" in text
    assert "SPU indicator by team" in text and "TA 1 2 50%" in text
    assert "SPU indicator by situation" in text and "Velmora 1 2 50%" in text


def test_a_large_cluster_lists_the_first_people_with_gaps_and_counts_them_all(known, monkeypatch):
    """A summary of a 50,000-person cluster lists a page of people, not everyone: it says how many
    have gaps, counts them per requirement and status, and sends the reader to the Certifications page."""
    import summaries.cluster

    monkeypatch.setattr(summaries.cluster, "GAP_LIST", 1)
    d = data_of(known)
    assert [(g.staff_id, g.requirement, g.status) for g in d.certification_gaps] == [("IA2", "CAC_BASIC", "missing")]
    assert d.gap_people == 2
    assert [(c.requirement, c.status, c.people) for c in d.gap_counts] == [
        ("CAC_BASIC", "missing", 1),
        ("SGBC_BASIC", "expired", 1),
    ]
    renderer = SummaryRenderer("https://gcu.test")
    html = re.sub(r"\s+", " ", renderer.html(d, generated_at=dataset.AS_OF))
    assert "2 people have at least one gap; the first 1 by staff id are listed below" in html
    assert 'href="https://gcu.test/certifications"' in html
    pdf = PdfReader(io.BytesIO(renderer.pdf(d, generated_at=dataset.AS_OF)))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pdf.pages))
    assert "2 people have at least one gap; the first 1 by staff id are listed below" in text
    assert "SGBC_BASIC expired 1" in text and "LB" not in text.split("by staff id are listed below")[1]

    monkeypatch.setattr(summaries.cluster, "GAP_LIST", 100)
    html = re.sub(r"\s+", " ", renderer.html(data_of(known), generated_at=dataset.AS_OF))
    assert "2 people have at least one gap." in html and "listed below" not in html
