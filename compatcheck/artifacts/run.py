"""Image artifacts named on the command line (`oci://...`, OCI layout directories and
archives, `docker save` archives, gzip'd modules): the module inside checked on every
selected build, and on Istio and Higress builds the decision of that release's image fetcher."""

from __future__ import annotations

from ..results import InputProblem
from . import ArtifactError, load_artifact
from .consumers import fetcher_for, product_fetchers
from .decide import decide

IMAGE_PRODUCTS = ("istio", "higress")  # target products whose releases pull images themselves


def artifact_reports(args, hosts, max_bytes: int, validate: bool = False,
                     smoke: bool = True) -> tuple[list, list]:
    from ..manifests.run import add_findings
    from ..runner import check_bytes

    reports, problems = [], []
    for arg in args:
        try:
            art = load_artifact(arg, max_bytes)
        except ArtifactError as exc:
            problems.append(InputProblem(arg, str(exc)))
            continue
        if art.module is None or art.problem:
            problems.append(InputProblem(arg, art.problem or "no Wasm module found"))
            continue
        report = check_bytes(arg, art.module, list(hosts), validate, smoke)
        extra = [tuple(_decisions(art, r.host)) + (_info(art),) for r in report.results]
        reports.append(add_findings(report, extra))
    return reports, problems


def _decisions(art, host) -> list:
    from ..checks._build import finding

    if art.image is None or host.product not in IMAGE_PRODUCTS:
        return []
    fetcher = fetcher_for(host.product, host.first)
    if fetcher is None:
        return []
    d = decide(art.image, fetcher)
    if d.accepted:
        return []
    return [finding("CC901", f"{fetcher.label}: could not fetch Wasm binary: {d.message} "
                    f"(decided at {d.cite})", "runtime", position=-20,
                    location=f"image {art.name}", unverified=fetcher.status != "verified")]


def _info(art):
    from ..checks._build import finding
    from ..manifests.run import artifact_summary

    text = artifact_summary(art)
    if art.image is not None:
        gw = [decide(art.image, f) for f in product_fetchers("envoy-gateway")]
        text += "; " + "; ".join(f"{d.fetcher.label}: accepts ({d.variant} variant)"
                                 if d.accepted else f"{d.fetcher.label}: refuses: {d.message}"
                                 for d in gw)
    return finding("CC900", text, "advice", location="artifact")
