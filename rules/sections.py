"""Section keys, canonical headings and synonyms (product-format.md §3.4), verbatim."""

SECTION_HEADINGS: dict[str, tuple[str, ...]] = {
    "summary": ("Summary", "Executive summary"),
    "context_and_scope": ("Context and scope", "Scope"),
    "gender_analysis": ("Gender analysis", "Gender analysis and context", "Gender perspective"),
    "children_analysis": ("Children analysis", "Child analysis", "Analysis of crimes against and affecting children"),
    "lines_of_inquiry": ("Lines of inquiry",),
    "evidence_strategy": ("Evidence strategy", "Evidence collection strategy"),
    "witness_vulnerability_and_protection": (
        "Witness vulnerability and protection",
        "Vulnerability screening and protection",
        "Witness protection and vulnerability",
    ),
    "prior_accounts_check": ("Prior accounts check", "Existing accounts check", "Check for existing accounts"),
    "team_and_gcu_consultation": ("Team and GCU consultation", "Team composition and GCU consultation"),
    "interview_purpose": ("Purpose of the interview", "Interview purpose"),
    "necessity_best_interests": (
        "Necessity and best interests",
        "Best interests and necessity",
        "Necessity and best-interests rationale",
    ),
    "consent": ("Consent", "Informed consent", "Consent script"),
    "child_approach": ("Child-sensitive approach", "Developmental approach", "Child-sensitive interview approach"),
    "caafag_safeguards": ("CAAFAG safeguards", "Safeguards for children associated with armed forces or groups"),
    "interview_plan": ("Interview plan", "Interview structure"),
    "question_areas": ("Question areas", "Questions", "Topics and questions"),
    "support_and_referrals": ("Support and referrals", "Psychosocial support and referrals"),
    "follow_up": ("Follow-up and feedback plan", "Follow-up plan", "Follow-up and feedback"),
    "risk_and_security": ("Risk and security", "Risk assessment", "Security and risk"),
    "recording_and_storage": ("Recording and storage", "Storage plan", "Confidentiality and storage"),
    "facts": ("Facts", "Factual allegations", "Summary of facts", "Facts and circumstances"),
    "suspects": ("Suspects", "Suspect and role", "Suspects and roles"),
    "legal_characterisation": (
        "Legal characterisation",
        "Legal characterization",
        "Proposed counts",
        "Proposed charges",
        "Charges",
    ),
    "sgbc_liability": (
        "Linkage and liability for SGBC counts",
        "SGBC liability analysis",
        "Liability analysis: SGBC counts",
    ),
    "evidence_and_gaps": ("Evidence and gaps", "Evidence", "Evidence analysis"),
    "filing_strategy": ("Filing strategy", "Stage and filing"),
    "objectives": ("Objectives", "Mission objectives", "Annual objectives"),
    "witness_profiles": ("Witness profiles",),
    "team_composition": ("Team composition", "Mission team"),
    "schedule_and_pacing": ("Schedule and pacing", "Schedule"),
    "witness_safety": ("Witness safety plan", "Witness-centred safety plan", "Witness security plan"),
    "staff_security": ("Staff security", "Staff security plan"),
    "data_handling": ("Data handling plan", "Data handling", "Information handling plan"),
    "staff_welfare": ("Staff welfare", "Staff welfare and debriefing"),
    "resources": ("Resources",),
    "training_and_certification": ("Training and certification",),
    "gcu_review": ("GCU review schedule", "GCU review"),
    "cso_survivor_engagement": ("CSO and survivor engagement", "Civil society and survivor engagement"),
    "scope_and_sources": ("Scope and sources", "Methodology", "Sources and methodology"),
    "disaggregated_data": ("Disaggregated data", "Sex- and age-disaggregated data", "Victimisation data"),
    "data_gaps": ("Data gaps", "Data gaps and mitigation"),
    "gender_norms_analysis": (
        "Gender norms and power relations",
        "Gender norms analysis",
        "Gender norms, power relations and stereotypes",
    ),
    "vulnerable_groups": ("Intersectional and vulnerable groups", "Vulnerable groups", "Intersectional analysis"),
    "recommendations": ("Recommendations",),
    # contract v2 §1.6, §5.2 (interview records)
    "conduct_of_interview": ("Conduct of the interview", "Interview conduct", "How the interview was conducted"),
    "witness_needs_and_support": ("Witness needs and support", "Needs and support", "Support during the interview"),
    "deviations": ("Deviations from the outline", "Deviations", "Changes to the outline"),
}


_BY_TEXT: dict[str, str] = {}


def key_for_heading(normalised_text: str) -> str | None:
    """The section key of a normalised heading text (format §3.2), or None."""
    if not _BY_TEXT:
        from rules.markdown import heading_key_text

        for key, headings in SECTION_HEADINGS.items():
            for heading in headings:
                _BY_TEXT.setdefault(heading_key_text(heading), key)
    return _BY_TEXT.get(normalised_text)
