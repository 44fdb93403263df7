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
    """E.g. 'envoy: loads on 1.21.0–1.40.x; fails on 1.17.0–1.20.x (CC204 missing-wasi)';
    a build where the module loads but calls a stubbed host function gets its own part:
    'loads but fails when called on 0.6.x (CC801: env.proxy_get_status)'."""
    by_product: dict[str, list[TargetResult]] = {}
    for r in results:
        by_product.setdefault(r.host.product, []).append(r)
    lines = []
    for product, items in by_product.items():
        items.sort(key=lambda r: r.host.first)
        runs: dict[str, list[list[TargetResult]]] = {"loads": [], "called": [], "fails": []}
        prev = None
        for r in items:
            key = ("called" if r.outcome == "fails-when-called" else
                   "loads" if r.verdict == "loads" else "fails")
            if prev == key:
                runs[key][-1].append(r)
            else:
                runs[key].append([r])
            prev = key
        parts = []
        if runs["loads"]:
            parts.append(f"loads on {_label(runs['loads'])}")
        if runs["called"]:
            calls = dict.fromkeys(f.location.removeprefix("import ") for run in runs["called"]
                                  for r in run for f in r.findings
                                  if f.code == "CC801" and f.severity == "warning" and f.location is not None)
            shown = ", ".join(list(calls)[:4]) + (", ..." if len(calls) > 4 else "")
            request = any(f.code == "CC513" and f.severity == "warning" for run in runs["called"]
                          for r in run for f in r.findings)
            why = "; ".join(([f"CC801: {shown}"] if calls else [])
                            + (["CC513: the first request fails"] if request else []))
            parts.append(f"loads but fails when called on {_label(runs['called'])} ({why})")
        if runs["fails"]:
            reasons: Counter[str] = Counter()
            for run in runs["fails"]:
                for r in run:
                    f = r.first_error
                    if f is not None:
                        reasons[f"{f.code} {CODES[f.code].name}"] += 1
            why = ", ".join(k for k, _ in reasons.most_common(3))
            parts.append(f"fails on {_label(runs['fails'])} ({why})")
        lines.append(f"{product}: " + "; ".join(parts))
    return lines


# --- across files -------------------------------------------------------------------------

VERDICTS = ("loads", "refused", "crash")


def run_summary(run) -> dict:
    """The whole run at a glance (the text report's closing lines and JSON's "summary")."""
    verdicts = Counter({v: 0 for v in VERDICTS})
    files_by_code: Counter = Counter()
    results_by_code: Counter = Counter()
    everywhere = 0
    for rep in run.reports:
        codes = set()
        for r in rep.results:
            verdicts[r.verdict] += 1
            blocking = {f.code for f in r.findings if f.blocks_load}
            results_by_code.update(blocking)
            codes |= blocking
        files_by_code.update(codes)
        everywhere += rep.ok
    unreadable = [p for p in run.problems if not p.internal]
    internal = [p for p in run.problems if p.internal]
    return {
        "files": run.files,
        "checked": len(run.reports),
        "distinct_modules": run.distinct_modules,
        "duplicates": len(run.reports) - run.distinct_modules,
        "unreadable": len(unreadable),
        "internal_errors": len(internal),
        "builds": len(run.hosts),
        "verdicts": {v: verdicts[v] for v in VERDICTS},
        "loads_everywhere": everywhere,
        "fails_somewhere": len(run.reports) - everywhere,
        "blocking_findings": [
            {"code": code, "name": CODES[code].name, "files": n, "results": results_by_code[code]}
            for code, n in sorted(files_by_code.items(), key=lambda kv: (-kv[1], kv[0]))],
        "unreadable_files": [{"file": p.name, "error": p.reason} for p in unreadable],
    }


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def summary_lines(run, top: int = 5, listed: int = 10) -> list[str]:
    """A few lines closing a report on several files."""
    s = run_summary(run)
    head = f"summary: {_plural(s['checked'], 'file')} checked"
    if s["duplicates"]:
        head += (f" ({_plural(s['distinct_modules'], 'distinct module')}, "
                 f"{_plural(s['duplicates'], 'duplicate')})")
    head += f" against {_plural(s['builds'], 'build')}"
    if s["unreadable"]:
        head += f", {s['unreadable']:,} unreadable"
    if s["internal_errors"]:
        head += f", {_plural(s['internal_errors'], 'internal error')}"
    v = s["verdicts"]
    lines = [head,
             f"  verdicts (file x build): {v['loads']:,} loads, {v['refused']:,} refused, "
             f"{v['crash']:,} crash",
             f"  load on every build: {s['loads_everywhere']:,} of {_plural(s['checked'], 'file')}"]
    worst = s["blocking_findings"]
    if worst:
        lines.append("  most frequent blocking findings:")
        width = max(len(f"{w['code']} {w['name']}") for w in worst[:top])
        for w in worst[:top]:
            label = f"{w['code']} {w['name']}"
            lines.append(f"    {label:{width}}  in {_plural(w['files'], 'file')}")
        if len(worst) > top:
            lines.append(f"    ... and {_plural(len(worst) - top, 'more code')}")
    if s["unreadable_files"]:
        from .common import printable
        names = [printable(u["file"]) for u in s["unreadable_files"]]
        more = f", ... ({len(names) - listed:,} more)" if len(names) > listed else ""
        lines.append(f"  unreadable: {', '.join(names[:listed])}{more}")
    return lines
