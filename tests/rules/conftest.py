"""Per-rule tests of the rule engine against the domain contract (../shared/domain).

Tests import `tests.rules.factories` (a namespace package, like `tests.store.factories`): with no
__init__.py here, `rules` keeps meaning the engine package, not this test folder.
"""

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))
