"""Text for `compatcheck run`: each stage with its outcome, log lines, calls, traps, the action."""

from __future__ import annotations

from .model import VERDICTS, Emulation, HttpResponse, Stage
from .state import STATUS_NAMES

_WIDTH = 44


def _show(data: bytes, limit: int = 200) -> str:
    text = data.decode("utf-8", "backslashreplace")
    text = text.encode("unicode_escape").decode("ascii") if any(
        c in text for c in "\0\r\n\t") else text
    return text if len(text) <= limit else text[:limit] + f"... ({len(data)} bytes)"


def _call_text(stage: Stage) -> str:
    args = ", ".join(str(a) for a in stage.args)
    return f"{stage.name}({args})" if stage.name != "instantiate" else "(instantiate)"


def _outcome(stage: Stage) -> str:
    if stage.outcome == "returned":
        return "returned" + ("" if stage.result is None else f" {stage.result}")
    if stage.outcome == "trapped":
        return f"TRAPPED: {stage.detail}"
    if stage.outcome == "stopped":
        return f"STOPPED (undecided): {stage.detail}"
    return stage.outcome


def _stage_lines(stage: Stage, phase_label: str, verbose: bool) -> list[str]:
    lines = [f"  {phase_label:<10}{_call_text(stage):<{_WIDTH}} {_outcome(stage)}"]
    pad = " " * 14
    for level, message in stage.logs:
        first, *rest = message.splitlines() or [""]
        lines.append(f"{pad}log {level}: {first}")
        lines += [f"{pad}    {x}" for x in rest]
    if verbose and stage.calls:
        calls = ", ".join(f"{q.split('.', 1)[1]}" + (f" x{n}" if n > 1 else "")
                          + ("" if r is None else f" -> {STATUS_NAMES.get(r, r)}")
                          for q, n, r in stage.calls)
        lines.append(f"{pad}calls: {calls}")
    if stage.backtrace:
        lines.append(f"{pad}backtrace:")
        lines += [f"{pad}  {frame.strip()}" for frame in stage.backtrace]
    return lines


def _response_lines(label: str, status, headers, body: bytes) -> list[str]:
    out = [f"     {label}: {status}" + ("" if body else ", no body")]
    out += [f"       {k}: {_show(v)}" for k, v in headers]
    if body:
        out.append(f"       body: {_show(body)}")
    return out


def render(name: str, e: Emulation, label: str, verbose: bool = False) -> str:
    lines = [f"{name} on {label} ({e.host})"]
    previous = ""
    for stage in e.stages:
        if stage.name == "instantiate" and stage.outcome == "returned" and not verbose:
            continue
        lines += _stage_lines(stage, stage.phase if stage.phase != previous else "", verbose)
        previous = stage.phase
    for message in e.messages:
        first, *rest = message.splitlines()
        lines.append(f"  host says: {first}")
        lines += [f"             {x}" for x in rest if verbose]
    lines.append(f"  => {e.verdict}: {e.detail or VERDICTS.get(e.verdict, '')}")
    lines += _action_lines(e)
    for note in e.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines)


def _action_lines(e: Emulation) -> list[str]:
    out = []
    if e.forwarded is not None:
        f = e.forwarded
        if e.verdict == "continued":
            out += _response_lines("forwarded", f"{f.method} {f.path}", f.headers, f.body)
        else:  # the router started the upstream request with the headers; the rest never went
            out += _response_lines("headers forwarded (then answered or stopped)",
                                   f"{f.method} {f.path}", f.headers, b"")[:1]
    if isinstance(e.response, HttpResponse):
        r = e.response
        out += _response_lines("response", r.status, r.headers, r.body)
    for c in e.calls_out:
        state = "answered" if c.answered else ("refused: " + STATUS_NAMES.get(c.result, str(c.result))
                                               if c.result else "never answered")
        out.append(f"     {c.kind} call to {c.target} ({state})")
    return out
