"""A prediction of `run` next to what a real Envoy did serving the same request.

Compared: the outcome (refused at start, or the HTTP status; no answer for a request the
filter never resumes), the response body, the response headers the prediction determines
(Envoy's own transport headers are left out), what reached the upstream, the filter's log lines
(exactly, in order, while the request ran; the start-up sequence must appear as one run in
Envoy's start-up log, which repeats it for its canary and worker VMs), and the host's own error
lines (a trap's text and backtrace as Envoy prints them).
"""

from __future__ import annotations

from ..record import record

# Headers Envoy adds or rewrites on its own (codec, connection manager, router): not the filter's.
ENVOY_OWN = frozenset({"date", "server", "connection", "x-envoy-upstream-service-time",
                       "transfer-encoding"})
# Forwarded headers whose values differ per run.
VARYING = frozenset({"x-request-id", "host", ":authority", "x-envoy-expected-rq-timeout-ms"})
_STARTED = ("served",)


@record
class Check:
    aspect: str
    agrees: bool
    predicted: str
    actual: str


@record
class Agreement:
    checks: tuple[Check, ...]
    decided: bool = True  # False: the prediction was undecided, or Envoy gave no outcome

    @property
    def agrees(self) -> bool:
        return self.decided and all(c.agrees for c in self.checks)

    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.agrees]

    def json(self) -> dict:
        return {"agrees": self.agrees, "decided": self.decided,
                "checks": [{"aspect": c.aspect, "agrees": c.agrees, "predicted": c.predicted,
                            "actual": c.actual} for c in self.checks]}


def predicted_outcome(e) -> str:
    if e.verdict in ("refused", "start-failed", "configure-failed"):
        return "refused"
    if e.verdict == "configured":
        return "served"
    if e.verdict == "paused":
        return "no answer"
    if e.response is not None:
        return str(e.response.status)
    return "reset"


def actual_outcome(served) -> str:
    if served.status not in _STARTED:
        return served.status
    if served.reply is None:
        return "served"
    return "no answer" if served.reply.status is None else str(served.reply.status)


def compare(e, served) -> Agreement:
    if e.verdict == "undecided" or served.status == "error":
        return Agreement((), decided=False)
    p, a = predicted_outcome(e), actual_outcome(served)
    if p == "reset" and a == "no answer":
        a = "reset"  # http.client sees a reset stream as no answer
    checks = [Check("outcome", p == a, p, a)]
    if e.response is not None and served.reply is not None and served.reply.status is not None:
        checks += _response_checks(e.response, served.reply)
    ticks = set(e.logs("tick"))
    later = [(x.level, x.message) for x in served.request_logs]
    if ticks:  # both VMs Envoy keeps (main thread, worker) tick, as often as time allows
        checks.append(Check("tick logs", ticks <= set(later), _show(sorted(ticks)),
                            _show(sorted(set(later)))))
        later = [x for x in later if x not in ticks]
    if served.status in _STARTED and served.reply is not None:
        checks.append(_upstream_check(e, served.upstream))
        checks.append(_lines("request logs", list(e.logs("request")), later))
    checks.append(_startup_check(e, served))
    checks.append(_messages_check(e.messages, served.messages))
    return Agreement(tuple(checks))


def _response_checks(r, reply) -> list[Check]:
    want_body = r.body.decode("utf-8", "replace")
    got_body = reply.body.decode("utf-8", "replace")
    want = {k: v.decode("latin-1") for k, v in r.headers if k not in ENVOY_OWN}
    got = {k: v for k, v in reply.headers if k not in ENVOY_OWN}
    if "content-length" not in want and not r.body:
        got.pop("content-length", None) if got.get("content-length") == "0" else None
    return [Check("body", r.body == reply.body, want_body, got_body),
            Check("headers", want == got, _kv(want), _kv(got))]


def _kv(d: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(d.items())) or "(none)"


def _upstream_check(e, upstream) -> Check:
    """What reached the upstream: the filter's HTTP calls to it, and the forwarded request
    (its headers; its body too when the whole request went through). A request answered
    locally after its headers went on may or may not have reached the upstream (a race in
    Envoy between connecting upstream and the local reply): either is accepted."""
    calls = [c for c in e.calls_out if c.kind == "http" and c.target == "upstream" and c.result == 0]
    call_paths = {dict(c.headers).get(":path", b"").decode("latin-1") for c in calls}
    got_calls = [u for u in upstream if u.path in call_paths]
    rest = [u for u in upstream if u.path not in call_paths]
    ok_calls = len(got_calls) >= len(calls)
    shown = f"{len(calls)} call(s) to upstream; " if calls else ""
    forwarded, whole = e.forwarded, e.verdict == "continued"
    if forwarded is None:
        return Check("upstream", ok_calls and not rest, shown + "nothing forwarded",
                     f"{len(got_calls)} call(s); " * bool(calls) + (
                         f"{len(rest)} request(s) reached the upstream" if rest else "nothing"))
    if not rest:
        return Check("upstream", ok_calls and not whole, shown + "the request is forwarded",
                     "nothing reached the upstream")
    first = rest[0]
    got = dict(first.headers)
    want = {k: v.decode("latin-1") for k, v in forwarded.headers if k not in VARYING}
    missing = {k: v for k, v in want.items() if got.get(k) != v}
    ok = ok_calls and not missing and (first.body == forwarded.body or not whole)
    return Check("upstream", ok, shown + _kv(want) + f"; body {len(forwarded.body)} bytes",
                 _kv({k: got.get(k, "(absent)") for k in want}) + f"; body {len(first.body)} bytes"
                 + (f"; {len(rest)} requests" if len(rest) > 1 else ""))


def _show(lines) -> str:
    return " | ".join(f"{lv}: {m}" for lv, m in lines) or "(none)"


def _lines(aspect: str, want: list, got: list) -> Check:
    return Check(aspect, want == got, _show(want), _show(got))


def _startup_check(e, served) -> Check:
    """The predicted start-up lines must appear as one run; Envoy has no others."""
    want = list(e.logs("start", "configure"))
    got = [(x.level, x.message) for x in served.startup_logs]
    if not want:
        return Check("startup logs", not got, "(none)", _show(got))
    runs = any(got[i:i + len(want)] == want for i in range(len(got) - len(want) + 1))
    return Check("startup logs", runs and set(got) <= set(want), _show(want), _show(got))


def _messages_check(want, got) -> Check:
    firsts = {m.splitlines()[0] for m in got if m}
    ok = all(m.splitlines()[0] in firsts for m in want if m)
    full = all(m in got for m in want if "\n" in m)
    return Check("host messages", ok and full, " | ".join(want) or "(none)",
                 " | ".join(m for m in got) or "(none)")
