"""`run --explore`: fuzz the first request with a handful of generated variants.

A baseline run says which request headers the filter looks up (and whether it reads the body);
each of those, and each header given on the command line, is then sent missing, empty,
non-numeric, very long and not UTF-8, and the body likewise. Every variant runs on every
selected build (builds with the same emulated host share one run). A variant that makes the
VM fail is shrunk to its smallest reproducer: parts of the value are removed while the same
failure (the host's first line) remains, a bounded number of rounds, each round one batch.
"""

from __future__ import annotations

import re

from ..record import record, replace
from . import emulate_targets
from .model import HttpRequest

LONG = 4096  # bytes in a "very long" value
MAX_ROUNDS = 24  # shrinking rounds
MAX_CANDIDATES = 48  # candidates per round


@record
class Finding:
    label: str  # e.g. "header token: non-numeric"
    request: HttpRequest
    verdicts: tuple[tuple[str, str, str], ...]  # (build id, verdict, detail) per build
    failure: str = ""  # the host's first line for the failure, when it failed
    reproducer: HttpRequest | None = None
    log: str = ""  # the filter's last log line before it failed (a panic message)

    @property
    def traps(self) -> bool:
        return bool(self.failure)

    def json(self) -> dict:
        return {"variant": self.label, "request": self.request.json(),
                "results": [{"target": t, "verdict": v, "detail": d} for t, v, d in self.verdicts],
                "failure": self.failure or None, "log": self.log or None,
                "reproducer": None if self.reproducer is None else self.reproducer.json()}


def _with_header(req: HttpRequest, name: str, value: bytes | None) -> HttpRequest:
    headers = tuple((k, v) for k, v in req.headers if k != name)
    if value is not None:
        headers += ((name, value),)
    return replace(req, headers=headers)


def variants(req: HttpRequest, names: list[str], body: bool) -> list[tuple[str, HttpRequest]]:
    out = []
    for name in names:
        for label, value in (("missing", None), ("empty", b""), ("non-numeric", b"abc"),
                             ("very long", b"1" * LONG), ("not UTF-8", b"\xff\xfe")):
            out.append((f"header {name}: {label}", _with_header(req, name, value)))
    if body:
        for label, value in (("empty", b""), ("non-numeric", b"abc"), ("very long", b"1" * LONG),
                             ("not UTF-8", b"\xff\xfe"), ("JSON object", b'{"a": 1}')):
            out.append((f"body: {label}", replace(req, body=value)))
    return out


def _failure(e) -> str:
    """The host's first line when the VM failed (a trap), else ''."""
    if e.verdict in ("failed-stream", "start-failed", "configure-failed") and e.messages:
        return e.messages[0].splitlines()[0]
    return ""


def _last_log(e) -> str:
    trap = e.trap
    return trap.logs[-1][1] if trap is not None and trap.logs else ""


def _signature(e) -> tuple[str, str]:
    """The failure and the kind of its last log line (numbers and lists left out): a shrunk
    request must fail the same way, not by another bug."""
    return _failure(e), re.sub(r"\[[^\]]*\]|\d+", "#", _last_log(e))


def explore(data: bytes, hosts, scenario, name: str = "module") -> list[Finding]:
    base_req = scenario.request or HttpRequest()
    base = emulate_targets(data, hosts, [replace(scenario, request=base_req)], name)
    names = list(dict.fromkeys([k for k, _ in base_req.headers] +
                               [r for runs in base.values() for r in runs[0].reads if r != "(body)"]))
    reads_body = bool(base_req.body) or any("(body)" in runs[0].reads for runs in base.values())
    cases = variants(base_req, names, reads_body)
    runs = emulate_targets(data, hosts, [replace(scenario, request=r) for _, r in cases], name)
    findings = []
    for i, (label, req) in enumerate(cases):
        results = [(h.id, runs[h.id][i]) for h in hosts]
        failed = next(((h, e) for h, (_, e) in zip(hosts, results, strict=True) if _failure(e)),
                      None)
        repro = _shrink(data, failed[0], scenario, req, _signature(failed[1]), name) \
            if failed is not None else None
        findings.append(Finding(label, req, tuple((t, e.verdict, e.detail) for t, e in results),
                                _failure(failed[1]) if failed else "", repro,
                                _last_log(failed[1]) if failed else ""))
    return findings


def _candidates(req: HttpRequest) -> list[HttpRequest]:
    """Smaller requests: each header value and the body with a part removed."""
    out: list[HttpRequest] = []
    parts = [(k, v) for k, v in req.headers] + [("(body)", req.body)]
    for key, value in parts:
        n = len(value)
        chunk = max(1, n // 2)
        while chunk >= 1 and len(out) < MAX_CANDIDATES:
            for start in range(0, n, chunk):
                smaller = value[:start] + value[start + chunk:]
                out.append(replace(req, body=smaller) if key == "(body)"
                           else _with_header(req, key, smaller))
                if len(out) >= MAX_CANDIDATES:
                    break
            chunk //= 2
    return out


def _size(req: HttpRequest) -> int:
    return sum(len(v) for _, v in req.headers) + len(req.body)


def _shrink(data, host, scenario, req: HttpRequest, signature, name: str) -> HttpRequest:
    best = req
    for _ in range(MAX_ROUNDS):
        cands = [c for c in _candidates(best) if _size(c) < _size(best)]
        if not cands:
            break
        runs = emulate_targets(data, [host], [replace(scenario, request=c) for c in cands],
                               name)[host.id]
        still = [c for c, e in zip(cands, runs, strict=True) if _signature(e) == signature]
        if not still:
            break
        best = min(still, key=_size)
    return best


def render_findings(file: str, findings: list[Finding], verbose: bool = False) -> str:
    from .render import _show

    lines = [f"{file}: {len(findings)} request variants"]
    for f in findings:
        lines.append(f"  {f.label:<34} {_by_verdict(f.verdicts)}")
        if f.failure:
            lines.append(f"      fails: {f.failure}")
            if f.log:
                lines.append(f"      last log line: {f.log}")
            r = f.reproducer
            if r is not None:
                shown = [f"{k}: {_show(v)}" for k, v in r.headers]
                body = f", body {_show(r.body)!r}" if r.body else ""
                lines.append(f"      smallest reproducer: {'; '.join(shown) or '(no headers)'}{body}")
        if verbose:
            lines += [f"      {t}: {v} {d}" for t, v, d in f.verdicts]
    bad = [f for f in findings if f.traps]
    lines.append(f"  => {len(bad)} variant(s) make the VM fail" if bad else
                 "  => no variant makes the VM fail")
    return "\n".join(lines)


def _by_verdict(verdicts) -> str:
    groups: dict[str, list[str]] = {}
    for target, verdict, _ in verdicts:
        groups.setdefault(verdict, []).append(target)
    if len(groups) == 1:
        return next(iter(groups))
    return "; ".join(f"{v} on {', '.join(ts)}" for v, ts in groups.items())
