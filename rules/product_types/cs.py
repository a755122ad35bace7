"""CS: charging strategy, including AWA/DCC drafts (format §2.13, §2.14): a case hypothesis with a
filing strategy."""

from dataclasses import replace

from models.enums import ProductType
from rules.product_types import ch

SPEC = replace(
    ch.SPEC,
    code=ProductType.CS,
    label="Charging strategy",
    plural="Charging strategies",
    template=(*ch.TEMPLATE, "filing_strategy"),
    kpi11_charges=True,
)
