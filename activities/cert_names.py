"""Activity names of the certification sweep: the only thing CertificationSweepWorkflow knows about
its activities (activities/certifications.py registers them under these names)."""

NOTIFY_EXPIRING_CERTIFICATES = "notify_expiring_certificates"
STORE_KPI_SNAPSHOTS = "store_kpi_snapshots"
