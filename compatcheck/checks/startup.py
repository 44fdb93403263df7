"""Start-up: which start functions run, start-time import limits, the Wasm start section."""

from __future__ import annotations

from ..abi.vocabulary import START_FUNCTIONS
from ..wasm import FuncType
from ._build import finding
from .context import CheckContext, v8_signature


def startup_calls(ctx: CheckContext) -> list[str]:
    """The exports this host calls at start-up, in order (its sequence in startup.toml)."""
    exported = [e.name for e in ctx.module.exports if e.kind == "func"]
    return ctx.host.startup.calls(exported)


def _allowed(host, module: str, name: str) -> bool:
    allowed = host.startup_allowed
    if allowed is None:
        return True
    if module in host.wasi_modules:
        return f"wasi.{name}" in allowed
    return f"{module}.{name}" in allowed


def check(ctx: CheckContext) -> list:
    host, module, out = ctx.host, ctx.module, []
    calls = startup_calls(ctx)
    if calls:
        out.append(finding("CC501", f"At start-up this build calls {', then '.join(calls)}.",
                           "advice", location="exports"))
    for name in calls:
        e = ctx.exported_function(name)
        want = START_FUNCTIONS[name]
        if e is not None and str(e.type) != want and host.callbacks_checked:
            out.append(finding(
                "CC401", host.message("bad_signature", name=name,
                                      want=v8_signature(FuncType.parse(want)),
                                      have=v8_signature(e.type)),
                "functions", location=f"export {name}", offset=e.offset, host_wording=True,
                fix=f"Export {name} as {want}."))
    ignored = [n for n in ("__wasm_call_ctors", "main", "__main_void", "_start")
               if ctx.exported_function(n) is not None and n not in calls]
    if "_start" in ignored and "_initialize" in calls:
        ignored.remove("_start")  # a reactor with a stray _start is normal
    for n in ignored:
        if n == "__wasm_call_ctors" and calls:
            continue  # called by _initialize/_start themselves in wasi-libc builds
        out.append(finding("CC505", f"{n} is exported but this build never calls it at "
                           "start-up; static constructors or Go/TinyGo runtime set-up that "
                           "depend on it will not run.", "advice", location=f"export {n}"))

    if calls and "startup-export-host-call" in host.crashes:
        out += _host_calls_at_startup(ctx, calls)
    out += _failing_call(ctx, calls)
    if calls and host.startup_allowed is not None:
        out += _restricted_calls(ctx, calls)
    if module.start is not None:
        out.append(_start_section(ctx))
    return out


def _env_reach(ctx: CheckContext, calls: list[str]):
    """(Proxy-Wasm imports (not WASI) the start-up exports reach, those reached on every run,
    whether static analysis leaves it open)."""
    imported = ctx.module.imports_of_kind("func")
    reach = ctx.reach([ctx.exported_function(n).index for n in calls])
    env = [i for i in sorted(reach.imports) if imported[i].module not in ctx.host.wasi_modules]
    certain = [i for i in env if i in reach.certain]
    return env, certain, bool((env or reach.indirect) and not certain)


def _host_calls_at_startup(ctx: CheckContext, calls: list[str]) -> list:
    """Crash kind startup-export-host-call: a Proxy-Wasm host call from the start-up export
    kills the process (there is no filter context yet); WASI calls there are fine. Static reach
    first; a sandboxed run of the start-up sequence (smoke mode) settles what it leaves open."""
    host = ctx.host
    imported = ctx.module.imports_of_kind("func")
    env, certain, undecided = _env_reach(ctx, calls)
    names, how = [imported[i].qualified_name for i in (certain or env)], ""
    sure = bool(certain)
    if not sure and undecided:
        run = ctx.smoke(tuple(calls))
        made = [q for _f, q in (run.calls if run is not None else ())
                if q.partition(".")[0] not in host.wasi_modules]
        if made:
            sure, names, how = True, list(dict.fromkeys(made)), " (a sandboxed run called it)"
        elif run is not None and run.decisive:
            return []
    if not names:
        return []
    shown = ", ".join(names)
    return [finding(
        "CC508", f"{' / '.join(calls)} {'calls' if sure else 'can call'} Proxy-Wasm host "
                 f"functions ({shown}){how} at start-up: this build has no filter context then "
                 "and the process dies (SIGSEGV)" + ("." if sure else " if it does."),
        "startup", location=f"export {calls[0]}", severity="crash" if sure else "warning",
        unverified=host.is_unverified("crashes"),
        fix=f"{host.label} calls {calls[0]} before any Proxy-Wasm context exists; a call to "
            f"{shown} from there crashes the worker. Move it to proxy_on_vm_start / "
            "proxy_on_configure (WASI calls at start-up are fine).")]


def _failure_text(host, name: str, text: str | None):
    """(message, in the host's words?) of a start-up call that fails with the runtime's
    ``text`` (None: no source gives the runtime's wording)."""
    message = host.message("trap", function=name, trap=text) if text is not None else ""
    return (message, True) if message else (f"{name} fails at start-up", False)


def _exit_status(ctx: CheckContext, calls: list[str], name: str) -> int | str | None:
    """proc_exit's status when start-up ends through it (a smoke run), "?" when only static
    analysis says it does, None when it does not (or the runtime returns from proc_exit)."""
    if ctx.host.runtime.text("exit") is None or not _exit_reach(ctx, name):
        return None
    run = ctx.smoke(tuple(calls))
    if run is not None and run.outcome == "exited" and run.calls and run.calls[-1][0] == name:
        return run.detail.removeprefix("proc_exit(").removesuffix(")")
    if run is None and _exit_reach(ctx, name) == "certain":
        return "?"
    return None


def _exit_reach(ctx: CheckContext, name: str) -> str | None:
    imported = ctx.module.imports_of_kind("func")
    reach = ctx.reach([ctx.exported_function(name).index])
    exits = [i for i in reach.imports if imported[i].name == "proc_exit"
             and imported[i].module in ctx.host.wasi_modules]
    if not exits:
        return None
    return "certain" if any(i in reach.certain for i in exits) else "possible"


def _failing_call(ctx: CheckContext, calls: list[str]) -> list:
    """The first start-up call that fails on this host (it stops there): a wrong argument
    count on a host that checks signatures only when it calls (the runtime refuses the call),
    a trap on every run, or proc_exit where the runtime turns it into an error."""
    host, texts = ctx.host, dict(ctx.host.runtime.texts)
    for name in calls:
        e = ctx.exported_function(name)
        if e is None or not isinstance(e.type, FuncType):
            continue  # an export of a function index out of range: refused as malformed
        want = FuncType.parse(START_FUNCTIONS[name])
        given = len(_startup_args(name))
        if not host.callbacks_checked and len(e.type.params) != given and "arity" in texts:
            text = texts["arity"].format(want=len(e.type.params), have=given)
            message, own = _failure_text(host, name, text)
            return [finding(
                "CC401", message, "functions", location=f"export {name}", offset=e.offset,
                host_wording=own, fix=f"Export {name} as {want}: this build calls it at "
                f"start-up with {given} argument(s) and the runtime refuses the call, so the "
                "filter never loads.")]
        if ctx.reach([e.index]).traps:
            message, own = _failure_text(host, name, host.runtime.text("unreachable"))
            return [finding(
                "CC506", message, "startup", location=f"export {name}", host_wording=own,
                fix=f"Every run of {name} reaches an `unreachable` instruction (a panic or "
                    "abort in the start-up code); the host calls it at start-up, so the filter "
                    "never loads. Fix the initialiser, or do not export it.")]
        status = _exit_status(ctx, calls, name)
        if status is not None:
            message, own = _failure_text(
                host, name, None if status == "?" else texts["exit"].format(status=status))
            return [finding(
                "CC506", message, "startup", location=f"export {name}", host_wording=own,
                fix=f"{name} ends through proc_exit{'' if status == '?' else f'({status})'}, "
                    "which this build's runtime reports as a failed call (whatever the status), "
                    "so the filter never loads. " + _restricted_fix("wasi.proc_exit", host))]
    return []


def _startup_args(name: str) -> tuple[int, ...]:
    """The arguments hosts pass a start-up function (emulator/lifecycle.py likewise)."""
    return (0, 0) if name == "main" else ()


def _start_section_undecided(ctx: CheckContext) -> bool:
    if ctx.module.start is None:
        return False
    reach = ctx.reach([ctx.module.start])
    return bool(reach.imports) and not reach.certain


def _start_section(ctx: CheckContext):
    """The start section runs while the host instantiates the module, before any context
    exists: a host call from there crashes cpp-host. Static reach first, then a sandboxed
    instantiation (smoke mode) when reach cannot tell."""
    host, module = ctx.host, ctx.module
    assert module.start is not None  # called only for a module with a start section
    reach = ctx.reach([module.start])
    imported = module.imports_of_kind("func")
    names = ", ".join(imported[i].qualified_name for i in sorted(reach.imports))
    crashes = "start-section-host-call" in host.crashes
    certain = bool(reach.certain)
    how = ""
    if reach.imports and not certain:
        run = ctx.smoke(())
        called = [q for f, q in (run.calls if run else ()) if f == "(start section)"]
        if called:
            certain, names = True, ", ".join(dict.fromkeys(called))
            how = " (a sandboxed instantiation called them)"
        elif run is not None and run.decisive:
            reach = None  # it ran to its end without a host call
    if reach is not None and reach.imports and crashes:
        return finding(
            "CC503", f"The Wasm start section (function {module.start}) "
            f"{'calls' if certain else 'can call'} host functions ({names}){how}: the proxy "
            "crashes (SIGSEGV) while instantiating the module"
            + ("." if certain else " if it does."), "compile", location="start section",
            severity="crash" if certain else "warning",
            unverified=host.is_unverified("crashes"))
    quiet = reach is None or not reach.imports
    return finding("CC504", f"The module has a Wasm start section (function {module.start}); "
                   "it runs at instantiation, before Proxy-Wasm start-up"
                   + (", and calls no host function." if quiet else "."), "advice",
                   location="start section", severity="info" if quiet else None)


def _restricted_reach(ctx: CheckContext, calls: list[str]):
    """(imports forbidden at start-up that the calls reach, those reached on every run,
    whether static analysis leaves it open)."""
    host, module = ctx.host, ctx.module
    imported = module.imports_of_kind("func")
    reach = ctx.reach([ctx.exported_function(n).index for n in calls])
    bad = [i for i in sorted(reach.imports)
           if not _allowed(host, imported[i].module, imported[i].name)]
    certain = [i for i in bad if i in reach.certain]
    undecided = bool((bad and not certain) or (reach.indirect and not certain))
    return bad, reach.certain, undecided


def smoke_requests(ctx: CheckContext) -> set[tuple[str, ...]]:
    """The sequences this target needs a smoke run of (asked before the checks run, so one
    sandbox compiles the module once for every target); () is the instantiation alone."""
    wanted = set()
    calls = startup_calls(ctx)
    if calls and ctx.host.startup_allowed is not None and _restricted_reach(ctx, calls)[2]:
        wanted.add(tuple(calls))
    if calls and "startup-export-host-call" in ctx.host.crashes and _env_reach(ctx, calls)[2]:
        wanted.add(tuple(calls))
    if ctx.module.start is not None and _start_section_undecided(ctx):
        wanted.add(())
    if calls and ctx.host.runtime.text("exit") is not None and any(_exit_reach(ctx, n) for n in calls
                                                           if ctx.exported_function(n)):
        wanted.add(tuple(calls))
    return wanted


def _restricted_calls(ctx: CheckContext, calls: list[str]) -> list:
    """Imports the start-up functions call although this build forbids them during start-up.

    Static reachability first; when it cannot decide (a call that depends on values, or
    indirect calls), a sandboxed run of the start-up sequence (smoke mode) settles it, if the
    run ends by itself. A run stopped by a limit or a trap settles nothing: the static
    findings stand, and CC507 says why the question is open.
    """
    host = ctx.host
    imported = ctx.module.imports_of_kind("func")
    bad, certain, undecided = _restricted_reach(ctx, calls)
    run = ctx.smoke(tuple(calls)) if undecided else None
    if run is not None:
        for function, qname in run.calls:  # calls really made, however the run ended
            mod, _, name = qname.partition(".")
            if not _allowed(host, mod, name):
                imp = next(i for i in imported if i.qualified_name == qname)
                return [finding(
                    "CC502", host.message("restricted_call", function=function), "startup",
                    severity="error", location=f"import {qname}", offset=imp.offset,
                    host_wording=True, unverified=host.is_unverified("messages.restricted_call"),
                    fix=f"A sandboxed run of {', '.join(calls)} (smoke mode; imports stubbed) "
                        f"called {qname} from {function}, which this build forbids during "
                        "start-up. " + _restricted_fix(qname, host))]
        if run.decisive:
            return []
    out = [_static_restricted(ctx, calls, imported[i], i in certain) for i in bad]
    if run is not None:
        out.append(_undecided(run, calls))
    return out


def _static_restricted(ctx: CheckContext, calls: list[str], imp, sure: bool):
    host = ctx.host
    text = host.message("restricted_call", function=calls[0])
    return finding(
        "CC502", text if sure else f"{text} (if {imp.qualified_name} is called during "
        "start-up)", "startup", severity="error" if sure else "warning",
        location=f"import {imp.qualified_name}", offset=imp.offset, host_wording=sure,
        unverified=host.is_unverified("messages.restricted_call"),
        fix=f"{', '.join(calls)} {'calls' if sure else 'can reach'} {imp.qualified_name}, "
            "which this build forbids during start-up. " + _restricted_fix(imp.qualified_name, host))


def _undecided(run, calls: list[str]):
    what = {"stopped": f"smoke run stopped: {run.detail}",
            "trapped": f"smoke run trapped: {run.detail}",
            "not-run": f"smoke run not possible: {run.detail}"}[run.outcome]
    return finding(
        "CC507", f"Start-up ({', '.join(calls)}) could not be settled: {what}.", "startup",
        location=f"export {calls[0]}",
        fix="Static analysis cannot tell whether start-up calls an import this build forbids "
            "then, and the sandboxed run ended before it could tell. Check with `compatcheck "
            "confirm` on a real Envoy, or make start-up shorter (move work to "
            "proxy_on_vm_start).")


def _restricted_fix(qname: str, host) -> str:
    if qname.endswith(".proc_exit"):
        return ("A WASI command exits through proc_exit when _start returns (Go always; C when "
                "main returns non-zero): build a reactor instead (_initialize; Go: "
                "-buildmode=c-shared with //go:wasmexport, clang: -mexec-model=reactor).")
    module, _, name = qname.partition(".")
    if module == "env" and name in host.env_shims:
        return (f"{name} is not called by the filter's code but by its C/C++ runtime "
                "(Emscripten's libc and pthread support emit it): build without pthreads "
                "(emcc -sUSE_PTHREADS=0, no -pthread), or pick a build that allows it during "
                "start-up (`compatcheck matrix` shows which).")
    return "Move the call to proxy_on_vm_start / proxy_on_configure."
