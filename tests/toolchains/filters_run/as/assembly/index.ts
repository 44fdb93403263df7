// A greeting filter in AssemblyScript on @solo-io/proxy-runtime 0.1.8 (a real Proxy-Wasm SDK),
// for `compatcheck run` and the serving judge (tests/integration/test_serving.py). Built by
// tests/toolchains/filters_run/build.py with --use abort=abort_proc_exit.
//
// Request header x-name: missing -> local 400 "who are you?"; "upstream" -> an HTTP call to the
// cluster `upstream`, answered with what it said; anything else -> x-greeting: hello <name> on
// the request and x-greeted: yes on the response. The root context is registered for root_id
// "" only: under another root_id the SDK throws, which aborts (a trap) at start.
export * from "@solo-io/proxy-runtime/proxy";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context,
  send_local_response, log, LogLevelValues, GrpcStatusValues, HeaderPair, Headers,
} from "@solo-io/proxy-runtime";

function pair(key: string, value: string): HeaderPair {
  return new HeaderPair(String.UTF8.encode(key), String.UTF8.encode(value));
}

class GreetRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new Greet(context_id, this);
  }
}

class Greet extends Context {
  constructor(context_id: u32, root_context: GreetRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const name = stream_context.headers.request.get("x-name");
    if (name == "") {
      const none: Headers = [];
      send_local_response(400, "as_filter", String.UTF8.encode("who are you?\n"), none,
                          GrpcStatusValues.Unknown);
      return FilterHeadersStatusValues.StopIteration;
    }
    if (name == "upstream") {
      const call: Headers = [pair(":method", "GET"), pair(":path", "/from-as"),
                             pair(":authority", "upstream")];
      this.root_context.httpCall("upstream", call, new ArrayBuffer(0), [], 5000, this,
        (origin: Context, headers: u32, body_size: usize, trailers: u32): void => {
          const said = body_size.toString();
          const extra: Headers = [pair("x-upstream-bytes", said)];
          log(LogLevelValues.info, "as filter: upstream said " + said + " bytes");
          send_local_response(200, "as_filter", String.UTF8.encode("asked upstream\n"), extra,
                              GrpcStatusValues.Unknown);
        });
      return FilterHeadersStatusValues.StopIteration;
    }
    stream_context.headers.request.add("x-greeting", "hello " + name);
    log(LogLevelValues.info, "as filter: greeted " + name);
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.response.add("x-greeted", "yes");
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new GreetRoot(context_id); }, "");
