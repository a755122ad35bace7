"""Per-rule tests of the rule engine against the domain contract (../shared/domain).

The factories module sits next to this file; pytest puts this folder on sys.path (no
__init__.py here, so `rules` keeps meaning the engine package, not this test folder).
"""

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))
