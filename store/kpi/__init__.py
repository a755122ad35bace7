"""KPIs 10, 11 and 12 of strategic goal 6 (requirements.md §7), computed by SQL aggregation.

Modules: config (definitions and targets), periods, facts (KPI 10 write-time facts), kpi10, kpi11,
charge_units (the KPI 11 register), kpi12, snapshots, report (all three together).
"""
