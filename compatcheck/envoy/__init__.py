"""Running a real Envoy binary in validate mode: the judge of every prediction."""

from .validate import EnvoyOutcome, envoy_version, run_validate

__all__ = ["EnvoyOutcome", "envoy_version", "run_validate"]
