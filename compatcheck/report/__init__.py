"""Renderers: turn a CheckRun into text, JSON, SARIF, JUnit, GitHub annotations or GitLab code
quality.

Every renderer has one signature, ``render(run, options) -> str``; a new format is a renderer
and a line in RENDERERS.
"""

from __future__ import annotations

from .common import RenderOptions


def _lazy(module: str, name: str):
    def render(run, opts: RenderOptions) -> str:
        import importlib
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)(run, opts)
    return render


CHECK_RENDERERS = {
    "text": _lazy("check_text", "render_check"),
    "json": _lazy("machine", "render_json"),
    "sarif": _lazy("sarif", "render_sarif"),
    "junit": _lazy("machine", "render_junit"),
    "github": _lazy("machine", "render_github"),
    "gitlab": _lazy("gitlab", "render_gitlab"),
}
MATRIX_RENDERERS = {
    "text": _lazy("check_text", "render_matrix"),
    "json": _lazy("machine", "render_json"),
}

__all__ = ["CHECK_RENDERERS", "MATRIX_RENDERERS", "RenderOptions"]
