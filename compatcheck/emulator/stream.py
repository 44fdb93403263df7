"""One HTTP stream through the filter, as Envoy's Wasm HTTP filter drives it.

envoyproxy/envoy@d026e913427989a8d1542de03ba50f2af814e728: source/extensions/common/wasm/context.cc
(decodeHeaders: onCreate, then proxy_on_request_headers; a map or body is readable until its
callback returns Continue or the filter continues the stream; encodeHeaders/encodeData likewise;
log, onDestroy: proxy_on_log, proxy_on_done, proxy_on_delete; failStream: a 503 local reply
with an empty body and no filter callbacks; sendLocalResponse: the reply is sent after the VM
call and goes through the filter's encoder callbacks) with the status conversions of
proxy-wasm/proxy-wasm-cpp-host@f2db56af443571e92a31c0b877106d9ea96e19ef: src/context.cc
(CHECK_FAIL_HTTP around every callback: a failed VM answers 503; a local response or an unknown
status stops iteration; StopIteration on headers becomes StopAllIterationAndWatermark). The local
reply's headers follow Envoy's Utility::prepareLocalReply (source/common/http/utility.cc):
content-length and, if the filter set none, content-type text/plain when there is a body.
"""

from __future__ import annotations

from .lifecycle import deliver_events
from .model import HttpRequest, HttpResponse
from .state import STREAM_REQUEST, STREAM_RESPONSE, HeaderMap, Stream

SERVICE_TIME = b"x-envoy-upstream-service-time"  # the router's header; its value varies


def _request_map(req) -> HeaderMap:
    """The request headers as Envoy's HTTP/1 codec and connection manager hand them on."""
    m = HeaderMap([(b":authority", req.authority.encode()), (b":path", req.path.encode()),
                   (b":method", req.method.encode()), (b":scheme", b"http")])
    for k, v in req.headers:
        m.add(k.encode("latin-1"), v)
    if req.body and m.get(b"content-length") is None:
        m.add(b"content-length", str(len(req.body)).encode())
    m.add(b"x-forwarded-proto", b"http")
    m.add(b"x-request-id", b"00000000-0000-4000-8000-000000000000")
    return m


class Flow:
    def __init__(self, session, scenario):
        self.session, self.h, self.scenario = session, session.host, scenario
        self.sid = self.h.new_context(self.h.root)
        self.s = Stream(self.sid)
        self.h.stream = self.s
        self.req_map = _request_map(scenario.request)
        self.req_body = bytearray(scenario.request.body)
        self.resp_map: HeaderMap | None = None
        self.resp_body = bytearray()
        self.forwarded: HttpRequest | None = None

    def vm(self, name: str, *args) -> str:
        """'continue', 'stop', 'missing', 'failed' or 'undecided' (CHECK_FAIL_HTTP around it)."""
        if self.session.failed:
            return "failed"
        st = self.session.call("request", name, self.sid, self.sid, *args)
        stop, self.h.stop_iteration = self.h.stop_iteration, False
        if st is None:
            return "missing"
        if st.outcome == "stopped":
            return "undecided"
        if self.session.failed:
            return "failed"
        return "stop" if stop or st.result not in (0, 2) else "continue"

    def settle(self, r: str, direction: int, before: int) -> str:
        """After a callback: 'go', 'local', 'failed', 'undecided' or 'paused'."""
        s = self.s
        if r in ("failed", "undecided"):
            return r
        if s.local_response is not None:
            return "local"
        if r in ("continue", "missing"):
            return "go"
        if s.continued[direction] == before:
            deliver_events(self.session, "request")  # a reply may resume it
            if self.session.stopped:
                return "undecided"
            if self.session.failed:
                return "failed"
            if s.local_response is not None:
                return "local"
        return "go" if s.continued[direction] > 0 else "paused"

    def headers(self, direction: int, m: HeaderMap, end: bool) -> str:
        name = "proxy_on_request_headers" if direction == STREAM_REQUEST else "proxy_on_response_headers"
        args = (len(m),) if self.h.abi == "0.1.0" else (len(m), int(end))
        before = self.s.continued[direction]
        state = self.settle(self.vm(name, *args), direction, before)
        if state == "go" and self.s.continued[direction] > before and \
                self.session.stages[-1].result == 0:
            self.h.note("the filter resumed the stream inside a callback that also returned "
                        "Continue: Envoy continues it twice (the upstream may see the request "
                        "twice)")
        return state

    def body(self, direction: int, data: bytearray) -> str:
        name = "proxy_on_request_body" if direction == STREAM_REQUEST else "proxy_on_response_body"
        before = self.s.continued[direction]
        return self.settle(self.vm(name, len(data), 1), direction, before)

    # -- phases ---------------------------------------------------------------------------
    def request(self) -> str:
        s = self.s
        if not self.session.failed:
            self.session.call("request", "proxy_on_context_create", self.sid, self.sid, self.h.root)
        s.request_headers, s.end_of_stream = self.req_map, not self.req_body
        state = self.headers(STREAM_REQUEST, self.req_map, not self.req_body)
        if state == "go":
            self._forward()  # the router starts the upstream request with the headers
        if state == "go" and self.req_body:
            s.request_headers = None  # request_headers_ = nullptr once they continued
            s.request_body, s.end_of_stream = self.req_body, True
            state = self.body(STREAM_REQUEST, self.req_body)
            if state == "go":
                self._forward()
        if state == "go":
            s.request_headers = s.request_body = None
        return state

    def _forward(self) -> None:
        m = self.req_map
        text = lambda k: (m.get(k) or b"").decode("latin-1")  # noqa: E731
        self.forwarded = HttpRequest(
            text(b":method"), text(b":path"), text(b":authority"),
            tuple((k.decode("latin-1"), v) for k, v in m.pairs if not k.startswith(b":")),
            bytes(self.req_body))

    def response(self, status: int, pairs, body: bytes, local: bool) -> str:
        s = self.s
        m = HeaderMap([(b":status", str(status).encode()), *pairs])
        if not local:
            if m.get(b"content-length") is None:
                m.add(b"content-length", str(len(body)).encode())
            m.add(SERVICE_TIME, b"0")
        elif body:
            m.set(b"content-length", str(len(body)).encode())
            if m.get(b"content-type") is None:
                m.add(b"content-type", b"text/plain")
        else:
            m.remove(b"content-length")
            m.remove(b"content-type")
        self.resp_map, self.resp_body = m, bytearray(body)
        s.response_headers, s.end_of_stream = m, not body
        state = self.headers(STREAM_RESPONSE, m, not body)
        if state == "go" and body:
            s.response_headers = None
            s.response_body, s.end_of_stream = self.resp_body, True
            state = self.body(STREAM_RESPONSE, self.resp_body)
            s.response_body = None
        s.response_headers = None
        return state

    def client_response(self) -> HttpResponse:
        m = self.resp_map
        assert m is not None  # called only after response() set it (_outcome's other states return first)
        status = int(m.get(b":status") or 0)
        return HttpResponse(status, tuple((k.decode("latin-1"), v) for k, v in m.pairs
                                          if not k.startswith(b":")), bytes(self.resp_body))

    def finish(self) -> None:
        """Access log, then onDestroy: log, done, delete (all skipped on a failed VM)."""
        s = self.s
        s.access_log, s.final_request, s.final_response = True, self.req_map, self.resp_map
        for name in ("proxy_on_log", "proxy_on_done", "proxy_on_delete"):
            if not self.session.failed and not self.session.stopped:
                self.session.call("request", name, self.sid, self.sid)
            if name == "proxy_on_log":
                s.access_log = False


def _local(flow):
    code, body, pairs, _grpc, _details = flow.s.local_response
    flow.s.local_response = None
    return flow.response(code, pairs, body, local=True), code


def run_stream(session, scenario):
    """(verdict, detail) and {'response', 'forwarded'} of one request."""
    flow = Flow(session, scenario)
    state = flow.request()
    kind = "continued"
    if state == "local":
        kind = "local-response"
        state, _code = _local(flow)
    elif state == "go":
        up = scenario.upstream
        state = flow.response(up.status, [(k.encode(), v) for k, v in up.headers], up.body, False)
        if state == "local":
            kind = "local-response"
            state, _code = _local(flow)
    return _outcome(flow, state, kind)


def _outcome(flow, state: str, kind: str):
    result = {"forwarded": flow.forwarded}
    session = flow.session
    if state == "undecided":
        return ("undecided", session.stopped), result
    if state == "failed":
        started = flow.resp_map is not None and session.stages[-1].name == "proxy_on_response_body"
        if started:
            return ("failed-stream", "the VM failed after the response started: the host "
                                     "resets the stream"), result
        result["response"] = HttpResponse(503, (), b"")
        return ("failed-stream", "the VM failed: the host answers 503 (failStream)"), result
    if state == "paused":
        flow.finish()
        waiting = [c for c in flow.h.calls_out if c.result == 0 and not c.answered]
        why = f" (waiting for the {waiting[0].kind} call to {waiting[0].target})" if waiting else ""
        return ("paused", f"the filter stopped the stream and never resumed it{why}"), result
    result["response"] = flow.client_response()
    flow.finish()
    if session.failed:
        flow.h.note("the VM failed after the response was sent: the next request gets 503")
    status = result["response"].status
    detail = f"{status} from the upstream" if kind == "continued" else f"{status} from the filter"
    return (kind, detail), result
