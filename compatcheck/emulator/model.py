"""What an emulated run is given (Scenario) and what it found (Emulation), as plain records.

Both travel between the parent and the child process as JSON: bytes (header values, bodies)
are carried as latin-1 text, which maps every byte to one character and back.
"""

from __future__ import annotations

from typing import overload

from ..record import record

# Proxy-Wasm log levels (proxy-wasm/proxy-wasm-cpp-sdk@7465dee8b2953beebff99f6dc3720ad0c79bab99:
# proxy_wasm_enums.h LogLevel), the names Envoy prints for them.
LOG_LEVELS = ("trace", "debug", "info", "warn", "error", "critical")


def b2s(data: bytes) -> str:
    return data.decode("latin-1")


def s2b(text: str) -> bytes:
    return text.encode("latin-1")


@record
class HttpRequest:
    method: str = "GET"
    path: str = "/"
    authority: str = "localhost"
    headers: tuple[tuple[str, bytes], ...] = ()
    body: bytes = b""

    def json(self) -> dict:
        return {"method": self.method, "path": self.path, "authority": self.authority,
                "headers": [[k, b2s(v)] for k, v in self.headers], "body": b2s(self.body)}

    @classmethod
    def from_json(cls, d: dict) -> "HttpRequest":
        return cls(d["method"], d["path"], d["authority"],
                   tuple((k, s2b(v)) for k, v in d["headers"]), s2b(d["body"]))


@record
class HttpResponse:
    status: int = 200
    headers: tuple[tuple[str, bytes], ...] = (("content-type", b"text/plain"),)
    body: bytes = b""

    def header(self, name: str) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)

    def json(self) -> dict:
        return {"status": self.status, "headers": [[k, b2s(v)] for k, v in self.headers],
                "body": b2s(self.body)}

    @overload
    @classmethod
    def from_json(cls, d: dict) -> "HttpResponse": ...
    @overload
    @classmethod
    def from_json(cls, d: None) -> None: ...

    @classmethod
    def from_json(cls, d: dict | None) -> "HttpResponse | None":
        if d is None:
            return None
        return cls(d["status"], tuple((k, s2b(v)) for k, v in d["headers"]), s2b(d["body"]))


@record
class Scenario:
    """The configuration a host gives the filter and the traffic it sends through it."""
    vm_config: str = ""
    plugin_config: str = ""
    root_id: str = ""
    plugin_name: str = "compatcheck"
    vm_id: str = "compatcheck"
    request: HttpRequest | None = None  # None: start-up and configuration only
    upstream: HttpResponse = HttpResponse()  # what the upstream answers a continued request
    http_reply: HttpResponse | None = None  # answers the filter's HTTP calls; None: never
    clusters: tuple[str, ...] | None = None  # clusters the host has; None: every name
    ticks: int = 0  # timer ticks delivered after configuration, when the filter set a period
    log_level: int = 2  # the host's log level: lines below it are not printed (info)

    def json(self) -> dict:
        return {"vm_config": self.vm_config, "plugin_config": self.plugin_config,
                "root_id": self.root_id, "plugin_name": self.plugin_name, "vm_id": self.vm_id,
                "request": None if self.request is None else self.request.json(),
                "upstream": self.upstream.json(),
                "http_reply": None if self.http_reply is None else self.http_reply.json(),
                "clusters": None if self.clusters is None else list(self.clusters),
                "ticks": self.ticks, "log_level": self.log_level}

    @classmethod
    def from_json(cls, d: dict) -> "Scenario":
        req = d.get("request")
        return cls(d["vm_config"], d["plugin_config"], d["root_id"], d["plugin_name"],
                   d["vm_id"], None if req is None else HttpRequest.from_json(req),
                   HttpResponse.from_json(d["upstream"]), HttpResponse.from_json(d["http_reply"]),
                   None if d["clusters"] is None else tuple(d["clusters"]), d["ticks"],
                   d["log_level"])


@record
class Stage:
    """One call the host made into the module."""
    name: str  # the export called (or "instantiate")
    phase: str  # start | configure | tick | request
    context: int | None
    args: tuple[int, ...]
    outcome: str  # returned | trapped | stopped | exited | missing
    result: int | None = None
    detail: str = ""  # the trap (host wording) or the limit that stopped it
    backtrace: tuple[str, ...] = ()  # frames as the host prints them
    logs: tuple[tuple[str, str], ...] = ()  # (level, message) printed during the call
    calls: tuple[tuple[str, int, int | None], ...] = ()  # (host function, times, last result)

    def json(self) -> dict:
        return {"name": self.name, "phase": self.phase, "context": self.context, "args": list(self.args),
                "outcome": self.outcome, "result": self.result, "detail": self.detail,
                "backtrace": list(self.backtrace), "logs": [list(x) for x in self.logs],
                "calls": [list(x) for x in self.calls]}

    @classmethod
    def from_json(cls, d: dict) -> "Stage":
        return cls(d["name"], d["phase"], d["context"], tuple(d["args"]), d["outcome"], d["result"],
                   d["detail"], tuple(d["backtrace"]), tuple(tuple(x) for x in d["logs"]),
                   tuple(tuple(x) for x in d["calls"]))


@record
class CallOut:
    kind: str  # http | grpc
    target: str  # cluster (or gRPC service)
    headers: tuple[tuple[str, bytes], ...]
    body: bytes
    result: int  # the status the host returned to the filter
    answered: bool = False

    def json(self) -> dict:
        return {"kind": self.kind, "target": self.target,
                "headers": [[k, b2s(v)] for k, v in self.headers], "body": b2s(self.body),
                "result": self.result, "answered": self.answered}

    @classmethod
    def from_json(cls, d: dict) -> "CallOut":
        return cls(d["kind"], d["target"], tuple((k, s2b(v)) for k, v in d["headers"]),
                   s2b(d["body"]), d["result"], d["answered"])


VERDICTS = {
    "refused": "the build refuses to load the module",
    "start-failed": "the VM does not start (Failed to start base Wasm)",
    "configure-failed": "the plugin is not configured (Failed to configure base Wasm plugin)",
    "configured": "started and configured",
    "continued": "the request went on to the upstream",
    "local-response": "the filter answered the request itself",
    "failed-stream": "the VM failed during the request; the host answers 503",
    "paused": "the filter stopped the request and never resumed it",
    "undecided": "a budget stopped the run; nothing is decided",
}
ANSWERED = ("configured", "continued", "local-response")


@record
class Emulation:
    host: str  # build id
    verdict: str  # a key of VERDICTS
    detail: str = ""  # one line: why
    stages: tuple[Stage, ...] = ()
    messages: tuple[str, ...] = ()  # the host's own error lines, in its words
    response: HttpResponse | None = None  # what the client receives
    forwarded: HttpRequest | None = None  # the request as the upstream receives it
    calls_out: tuple[CallOut, ...] = ()
    notes: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()  # request header names the filter looked up, "(body)"

    @property
    def ok(self) -> bool:
        return self.verdict in ANSWERED

    def logs(self, *phases: str) -> tuple[tuple[str, str], ...]:
        return tuple(line for s in self.stages if not phases or s.phase in phases
                     for line in s.logs)

    @property
    def trap(self) -> Stage | None:
        return next((s for s in self.stages if s.outcome == "trapped"), None)

    def json(self) -> dict:
        return {"host": self.host, "verdict": self.verdict, "detail": self.detail,
                "stages": [s.json() for s in self.stages], "messages": list(self.messages),
                "response": None if self.response is None else self.response.json(),
                "forwarded": None if self.forwarded is None else self.forwarded.json(),
                "calls_out": [c.json() for c in self.calls_out], "notes": list(self.notes),
                "reads": list(self.reads)}

    @classmethod
    def from_json(cls, d: dict) -> "Emulation":
        fwd = d.get("forwarded")
        return cls(d["host"], d["verdict"], d["detail"],
                   tuple(Stage.from_json(x) for x in d["stages"]), tuple(d["messages"]),
                   HttpResponse.from_json(d["response"]),
                   None if fwd is None else HttpRequest.from_json(fwd),
                   tuple(CallOut.from_json(x) for x in d["calls_out"]), tuple(d["notes"]),
                   tuple(d.get("reads", ())))
