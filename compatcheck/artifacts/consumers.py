"""The consumers of images (istio-agent, Envoy Gateway, Higress) as data: one Fetcher per
release line, read from abi_specs/consumers/*.toml with a source line for every rule."""

from __future__ import annotations

import functools
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from ..record import record

PRODUCT_TITLES = {"istio": "Istio", "envoy-gateway": "Envoy Gateway", "higress": "Higress"}
_LAYER_RULES = ("one", "last")
_OCI_LIMIT_MODES = ("none", "truncate", "error")


class ConsumerSpecError(ValueError):
    """A consumer file that does not follow its schema (a bug in the shipped data)."""


@record
class Fetcher:
    id: str
    product: str
    versions: str  # PEP 440 specifier
    status: str
    oci: bool
    cite: Mapping[str, str]
    docker_layers: str = "last"
    compat_layers: str = "last"
    oci_layers: int = 2
    tar_limit: int = 0
    tar_entry_limit: int = 0
    oci_limit: int = 0
    oci_limit_mode: str = "none"
    http_unbox: bool = False
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        spec = SpecifierSet(self.versions)
        return f"{PRODUCT_TITLES.get(self.product, self.product)} {_range_label(spec)}"

    def covers(self, version: Version) -> bool:
        return version in SpecifierSet(self.versions)

    def source(self, rule: str) -> str:
        return self.cite.get(rule, "")


def _range_label(spec: SpecifierSet) -> str:
    low = next((s.version for s in spec if s.operator == ">="), "")
    high = next((s.version for s in spec if s.operator == "<"), "")
    if not high:
        return f"{low}+"
    major, minor = Version(high).release[:2] if len(Version(high).release) > 1 \
        else (Version(high).major, 0)
    last = f"{major - 1}.x" if minor == 0 else f"{major}.{minor - 1}"
    if last == low or (minor == 0 and low == f"{major - 1}.0"):
        return last if minor == 0 else low
    return f"{low}–{last}"


def consumers_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    installed = here / "abi_specs" / "consumers"
    return installed if installed.is_dir() else here.parent / "abi_specs" / "consumers"


def _toml(name: str) -> dict:
    from ..tomlfile import parse_toml, read_bytes
    path = consumers_dir() / name
    return parse_toml(path, read_bytes(path))


@functools.lru_cache(maxsize=None)
def fetchers() -> tuple[Fetcher, ...]:
    out = []
    for entry in _toml("image-fetchers.toml").get("fetcher", []):
        try:
            SpecifierSet(entry["versions"])
            f = Fetcher(cite=MappingProxyType(dict(entry.pop("cite", {}))),
                        notes=tuple(entry.pop("notes", ())), **entry)
        except (KeyError, TypeError, InvalidSpecifier) as exc:
            raise ConsumerSpecError(f"image-fetchers.toml: {entry.get('id')}: {exc}") from None
        if f.docker_layers not in _LAYER_RULES or f.compat_layers not in _LAYER_RULES \
                or f.oci_limit_mode not in _OCI_LIMIT_MODES:
            raise ConsumerSpecError(f"image-fetchers.toml: {f.id}: unknown rule value")
        out.append(f)
    return tuple(out)


def fetcher_for(product: str, version: Version | str) -> Fetcher | None:
    """The rules of ``product`` at ``version`` (None: this release does not pull images)."""
    try:
        v = version if isinstance(version, Version) else Version(str(version))
    except InvalidVersion:
        return None
    return next((f for f in fetchers() if f.product == product and f.covers(v)), None)


def product_fetchers(product: str) -> tuple[Fetcher, ...]:
    return tuple(f for f in fetchers() if f.product == product)


@functools.lru_cache(maxsize=None)
def _nullvm() -> tuple[tuple[str, str, frozenset[str], tuple[str, ...]], ...]:
    return tuple((e["product"], e["versions"], frozenset(e["plugins"]), tuple(e["sources"]))
                 for e in _toml("nullvm.toml").get("nullvm", []))


def nullvm_plugins(product: str, version: Version) -> tuple[frozenset[str], tuple[str, ...]]:
    """NullVM plugin names a build registers, and where that was read."""
    for prod, versions, plugins, sources in _nullvm():
        if prod == product and version in SpecifierSet(versions):
            return plugins, sources
    return frozenset(), ()
