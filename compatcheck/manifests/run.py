"""`check --manifest FILE`: one report per Wasm plugin a manifest configures, its module checked
against every selected build, plus what the manifest adds (verdicts.py); every finding points
at the manifest's file and line. Image artifacts given as file arguments (`oci://...`, OCI
layouts and archives) go through `artifact_reports` with the consumers' image decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..record import replace
from ..results import InputProblem

if TYPE_CHECKING:  # imported where used: a run without images or manifests loads none of it
    from .find import Plugin
    from .resolve import Resolved


def manifest_reports(manifests, artifacts: dict[str, str], hosts, max_bytes: int,
                     validate: bool = False, smoke: bool = True) -> tuple[list, list]:
    """(reports, problems) of every plugin in every manifest; a bad manifest or an
    unresolvable code source is one problem line naming the file, line and reference."""
    from .find import find_plugins
    from .resolve import ResolveError
    from .yamlload import ManifestError, load_documents

    reports, problems = [], []
    for path in manifests:
        try:
            plugins = find_plugins(path, load_documents(path))
        except ManifestError as exc:
            problems.append(InputProblem(path, str(exc)))
            continue
        if not plugins:
            problems.append(InputProblem(path, "no Wasm plugin found (WasmPlugin, EnvoyFilter, "
                                               "EnvoyExtensionPolicy, or an Envoy vm_config)"))
        for plugin in plugins:
            try:
                reports.append(plugin_report(plugin, artifacts, hosts, max_bytes, validate, smoke))
            except ResolveError as exc:
                problems.append(InputProblem(f"{plugin.file}:{plugin.code.line}", str(exc)))
    return reports, problems


def plugin_report(plugin: Plugin, artifacts: dict[str, str], hosts, max_bytes: int,
                  validate: bool, smoke: bool):
    from ..checks import TargetResult
    from ..results import ModuleReport
    from ..runner import check_bytes
    from .resolve import resolve
    from .verdicts import host_findings

    resolved = None if plugin.code.kind == "nullvm" else \
        resolve(plugin.code, plugin.file, artifacts, max_bytes)
    name = f"{plugin.label} <- {_source(plugin, resolved)}"
    if resolved is None:
        results = tuple(TargetResult(h, ()) for h in hosts)
        report = ModuleReport(name, 0, None, None, results)
    else:
        # resolve() raises ResolveError rather than return an artifact without a module
        assert resolved.artifact.module is not None
        report = check_bytes(name, resolved.artifact.module, list(hosts), validate, smoke)
        # start and configure with the manifest's own configuration, in the emulated host
        from ..emulator.checking import with_lifecycle
        report = with_lifecycle(report, plugin.plugin_config, plugin.vm_config, plugin.root_id,
                                data=resolved.artifact.module)
        report = _pointed(report, plugin.file, plugin.code.line, plugin.runtime_line,
                          plugin.config_line)
    extra = [tuple(host_findings(plugin, resolved, r.host)) + _info(resolved, plugin)
             for r in report.results]
    return add_findings(report, extra)


def _source(plugin: Plugin, resolved: Resolved | None) -> str:
    if plugin.code.kind == "nullvm":
        return f"NullVM plugin {plugin.code.ref!r}"
    if plugin.code.kind == "inline":
        return "inline code"
    return plugin.code.ref if resolved is None or resolved.where in ("registry", "download") \
        else f"{plugin.code.ref} ({resolved.where})"


def _info(resolved: Resolved | None, plugin: Plugin) -> tuple:
    from ..checks._build import finding
    if resolved is None or resolved.artifact.module is None:
        return ()
    return (finding("CC900", artifact_summary(resolved.artifact), "advice",
                    location="artifact", file=plugin.file, line=plugin.code.line),)


def artifact_summary(art) -> str:
    image = art.image
    bits = [f"module sha256 {art.module_sha256} ({len(art.module)} bytes"
            f"{', ' + art.found_by if art.found_by else ''})"]
    if image is not None:
        digest = image.digest_hex or "unknown until pushed"
        bits.insert(0, f"{image.source} {image.media_type or 'manifest'} digest {digest} "
                       f"(what sha256 must be for oci://"
                       f"{'; chosen from index ' + image.index_digest if image.index_digest else ''})")
        if image.note:
            bits.append(image.note)
    return "; ".join(bits)


_LIFECYCLE = ("CC510", "CC511", "CC512")  # start and configure (emulator/checking.py)


def _pointed(report, file: str, line: int, runtime_line: int, config_line: int = 0):
    """Every finding of the module also points at the manifest line that names it (a build
    without a runtime at the line that names the runtime, a failed configure at the
    configuration's line)."""
    def where(code: str) -> int:
        if code == "CC010":
            return runtime_line
        return config_line if code in _LIFECYCLE and config_line else line

    results = tuple(replace(r, findings=tuple(replace(f, file=file, line=where(f.code))
                                              for f in r.findings)) for r in report.results)
    problem = None if report.problem is None else replace(report.problem, file=file, line=line)
    return replace(report, results=results, problem=problem)


def add_findings(report, extra: list[tuple]):
    """The report with per-build extra findings merged in host order (``extra[i]`` goes to
    ``report.results[i]``)."""
    from ..checks.finding import Finding

    results = tuple(replace(r, findings=tuple(sorted(r.findings + tuple(more),
                                                     key=Finding.sort_key)))
                    for r, more in zip(report.results, extra, strict=True))
    return replace(report, results=results)


def split_images(paths) -> tuple[list, list]:
    """(plain module paths, image artifacts: `oci://`, OCI layouts and archives, gzip)."""
    from ..artifacts import is_artifact_arg
    plain: list[str] = []
    images: list[str] = []
    for p in paths:
        (images if is_artifact_arg(p) else plain).append(p)
    return plain, images


def extra_reports(images, manifests, artifacts, hosts, max_bytes: int, validate: bool,
                  smoke: bool) -> tuple[list, list]:
    """([(report, module sha256 hex)], problems) of image arguments and `--manifest` files."""
    if not images and not manifests:
        return [], []
    from ..artifacts.run import artifact_reports

    reports, problems = artifact_reports(images, hosts, max_bytes, validate, smoke)
    more, more_problems = manifest_reports(manifests, dict(artifacts or {}), hosts, max_bytes,
                                           validate, smoke)
    out = [(r, _digest(r)) for r in reports + more]
    return out, problems + more_problems


def _digest(report) -> str:
    import re
    info = next((f.message for r in report.results for f in r.findings if f.code == "CC900"), "")
    m = re.search(r"module sha256 ([0-9a-f]{64})", info)
    return m.group(1) if m else ""
