"""Findings: the unit every check returns and every renderer shows (defined with the other
results in compatcheck/results.py)."""

from ..results import SEVERITIES, STAGES, Finding

__all__ = ["SEVERITIES", "STAGES", "Finding"]
