"""ANSI styling without the command-line library (renderers know no command line)."""

from __future__ import annotations

_FG = {"red": 31, "green": 32, "yellow": 33, "magenta": 35, "cyan": 36}


def style(text: str, enabled: bool, fg: str | None = None, bold: bool = False) -> str:
    if not enabled or (fg is None and not bold):
        return text
    codes = ([str(_FG[fg])] if fg in _FG else []) + (["1"] if bold else [])
    return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"
