"""Prediction next to what a real Envoy binary does with the same module."""

from __future__ import annotations

import re
from ..record import record

from ..abi import HostSpec, SpecSet
from ..checks import TargetResult
from .validate import EnvoyOutcome

_VERDICT = {"loads": "loaded", "refused": "refused", "crash": "crashed"}


@record
class Comparison:
    predicted: TargetResult
    actual: EnvoyOutcome

    @property
    def verdict_agrees(self) -> bool:
        return _VERDICT[self.predicted.verdict] == self.actual.status

    @property
    def message_agrees(self) -> bool | None:
        """None when there is nothing to compare (loads, crash, or no host line either side)."""
        first = self.predicted.first_error
        if first is None or self.actual.status != "refused" or not first.host_wording:
            return None
        if not self.actual.messages:
            return None
        return first.message == self.actual.messages[0]

    @property
    def agrees(self) -> bool:
        return self.verdict_agrees and self.message_agrees is not False

    def json(self) -> dict:
        first = self.predicted.first_error
        return {"target": self.predicted.host.id,
                "predicted": {"verdict": self.predicted.verdict,
                              "first_error": None if first is None else first.message},
                "actual": self.actual.json(), "agrees": self.agrees,
                "verdict_agrees": self.verdict_agrees, "message_agrees": self.message_agrees}


def build_for_binary(specs: SpecSet, version_string: str | None) -> HostSpec | None:
    """The spec for a binary: by source commit (exact build), else by version number."""
    if not version_string:
        return None
    parts = version_string.split("/")
    commit, version = parts[0], parts[1] if len(parts) > 1 else ""
    if re.fullmatch(r"[0-9a-f]{40}", commit):
        for b in specs.builds:
            if b.pins.get("envoy") == commit:
                return b
    from packaging.version import InvalidVersion, Version
    try:
        v = Version(version)
    except InvalidVersion:
        return None
    for b in specs.builds:
        if b.product == "envoy" and b.covers(v):
            return b
    return None
