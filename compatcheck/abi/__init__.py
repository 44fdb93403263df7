"""ABI specs: loading, validating and selecting Proxy-Wasm host builds."""

from .loader import SpecError, SpecSet, get_specs, load_specs
from .model import HostSpec, Runtime, Source

__all__ = ["HostSpec", "Runtime", "SpecError", "SpecSet", "Source", "get_specs", "load_specs"]
