"""Findings: the unit every check returns and every renderer shows."""

from __future__ import annotations

from ..record import record

SEVERITIES = ("crash", "error", "warning", "info")
# Order in which a host meets problems while loading (it stops at the first error).
STAGES = ("runtime", "parse", "abi", "compile", "abi-late", "link", "functions", "startup",
          "callbacks", "advice")


@record
class Finding:
    code: str
    severity: str
    message: str  # in the host's own words where ``host_wording`` is set
    fix: str
    stage: str
    location: str | None = None  # e.g. "import env.proxy_get_configuration"
    offset: int | None = None
    position: int = 0  # order within a stage (e.g. import index)
    host_wording: bool = False
    unverified: bool = False  # rests on a spec fact nobody could verify
    file: str | None = None  # a manifest the finding points into (None: the module itself)
    line: int | None = None  # 1-based line in ``file``

    @property
    def blocks_load(self) -> bool:
        return self.severity in ("crash", "error")

    def sort_key(self) -> tuple:
        return (STAGES.index(self.stage), self.position, self.code)

    def json(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "fix": self.fix, "stage": self.stage, "location": self.location,
                "offset": self.offset, "host_wording": self.host_wording,
                "unverified": self.unverified,
                **({"file": self.file, "line": self.line} if self.file is not None else {})}
