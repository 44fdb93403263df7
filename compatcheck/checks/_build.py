"""Helper to build findings with the defaults from the code registry."""

from __future__ import annotations

from .codes import CODES
from .finding import Finding


def finding(code: str, message: str, stage: str, *, fix: str | None = None,
            severity: str | None = None, **kw) -> Finding:
    info = CODES[code]
    return Finding(code=code, severity=severity or info.severity, message=message,
                   fix=fix if fix is not None else info.fix, stage=stage, **kw)
