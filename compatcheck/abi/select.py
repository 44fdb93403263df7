"""Choosing host builds: `all`, `current`, a build id, or `product<specifier>` (packaging)."""

from __future__ import annotations

import re

from .loader import SpecSet
from .model import HostSpec


_PRODUCT_SPEC = re.compile(r"^([A-Za-z][A-Za-z0-9._-]*?)\s*((?:[<>=!~]=?|===).*)?$")


class SelectionError(Exception):
    """A --target that matches nothing or cannot be parsed (usage error)."""


def select(specs: SpecSet, selectors: list[str]) -> list[HostSpec]:
    chosen: dict[str, HostSpec] = {}
    for raw in selectors:
        for build in _one(specs, raw.strip()):
            chosen.setdefault(build.id, build)
    order = {b.id: i for i, b in enumerate(specs.builds)}
    return sorted(chosen.values(), key=lambda b: order[b.id])


def _one(specs: SpecSet, text: str) -> list[HostSpec]:
    if text == "all":
        return list(specs.builds)
    if text == "current":
        return [b for b in specs.builds if b.current]
    build = specs.by_id(text)
    if build is not None:
        return [build]
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    products = sorted({b.product for b in specs.builds})
    raw, text = text, _product_version(text, products)
    m = _PRODUCT_SPEC.match(text)
    try:
        if m is None:
            raise InvalidSpecifier(text)
        spec = SpecifierSet(m.group(2) or "", prereleases=True)  # a product alone: all builds
    except InvalidSpecifier:
        raise SelectionError(f"--target {text!r}: not a build id nor 'product<specifier>' "
                             f"(e.g. 'envoy>=1.30', 'istio~=1.5.0'); products: "
                             f"{', '.join(products)}") from None
    name = m.group(1).lower()
    if name not in products:
        raise SelectionError(f"--target {text!r}: unknown product {m.group(1)!r}"
                             f"{_close(m.group(1).lower(), products + [b.id for b in specs.builds])}"
                             f"; products: {', '.join(products)}")
    found = [b for b in specs.builds if b.product == name and
             (not str(spec) or any(v in spec for v in b.candidate_versions()))]
    if not found:
        raise SelectionError(f"--target {raw!r}: no {name} build matches {spec}; "
                             f"`compatcheck targets -t {name}` lists them")
    return found


def _product_version(text: str, products: list[str]) -> str:
    """`envoy-1.26.3` (a release, not a build id) means `envoy==1.26.3`."""
    for product in sorted(products, key=len, reverse=True):
        head = product + "-"
        if text.lower().startswith(head) and re.fullmatch(r"\d+(\.\d+)*", text[len(head):]):
            return f"{product}=={text[len(head):]}"
    return text


def _close(word: str, names: list[str]) -> str:
    import difflib

    near = difflib.get_close_matches(word, sorted(set(names)), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(n) for n in near)}?)" if near else ""
