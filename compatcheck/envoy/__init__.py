"""Running a real Envoy binary in validate mode: the judge of every prediction."""

from .validate import EnvoyError, EnvoyOutcome, envoy_version, identify, run_validate

__all__ = ["EnvoyError", "EnvoyOutcome", "envoy_version", "identify", "run_validate"]
