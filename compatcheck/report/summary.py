"""The one-line-per-product verdict: where a module loads, and why not elsewhere."""

from __future__ import annotations

from collections import Counter

from ..checks import TargetResult
from ..checks.codes import CODES


def _label(runs: list[list[TargetResult]]) -> str:
    parts = []
    for run in runs:
        first, last = run[0].host, run[-1].host
        if first is last:
            parts.append(first.version_label)
            continue
        lo = str(first.first)
        hi = last.version_label.split("–")[-1]
        parts.append(f"{lo}–{hi}")
    return ", ".join(parts)


def product_lines(results: tuple[TargetResult, ...]) -> list[str]:
    """E.g. 'envoy: loads on 1.21.0–1.40.x; fails on 1.17.0–1.20.x (CC204 missing-wasi)'."""
    by_product: dict[str, list[TargetResult]] = {}
    for r in results:
        by_product.setdefault(r.host.product, []).append(r)
    lines = []
    for product, items in by_product.items():
        items.sort(key=lambda r: r.host.first)
        runs: dict[bool, list[list[TargetResult]]] = {True: [], False: []}
        prev = None
        for r in items:
            ok = r.verdict == "loads"
            if prev is ok:
                runs[ok][-1].append(r)
            else:
                runs[ok].append([r])
            prev = ok
        text = f"{product}: "
        if runs[True]:
            text += f"loads on {_label(runs[True])}"
        if runs[False]:
            reasons = Counter()
            for run in runs[False]:
                for r in run:
                    f = r.first_error
                    if f is not None:
                        reasons[f"{f.code} {CODES[f.code].name}"] += 1
            why = ", ".join(k for k, _ in reasons.most_common(3))
            text += ("; " if runs[True] else "") + f"fails on {_label(runs[False])} ({why})"
        lines.append(text)
    return lines
