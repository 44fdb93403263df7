// A tiny Proxy-Wasm filter in AssemblyScript on @solo-io/proxy-runtime.
// Built by tests/toolchains/build.py with and without `--use abort=abort_proc_exit`.
export * from "@solo-io/proxy-runtime/proxy";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context,
} from "@solo-io/proxy-runtime";

class TagRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new Tag(context_id, this);
  }
}

class Tag extends Context {
  constructor(context_id: u32, root_context: TagRoot) {
    super(context_id, root_context);
  }
  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    stream_context.headers.request.add("x-compatcheck", "assemblyscript");
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32) => { return new TagRoot(context_id); }, "");
