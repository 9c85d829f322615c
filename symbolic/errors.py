"""The one exception type the command line turns into a one-line message and exit code 1, and
the import of optional dependencies, which fails with such a message instead of a traceback."""

from __future__ import annotations

import importlib
from types import ModuleType


class SymgenError(Exception):
    """Bad input or an unmet requirement: the message says what is wrong and what to do."""


def require(module: str, package: str, purpose: str) -> ModuleType:
    """Import `module`, or raise a `SymgenError` saying `purpose` needs the PyPI `package` and
    naming the pip command. Only the module itself (or its top-level package) being absent
    counts: an ImportError from inside an installed module is a bug and propagates."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        top = module.split(".")[0]
        if err.name not in (module, top):
            raise
        raise SymgenError(
            f"{purpose} needs {package}, which is not installed; run: pip install {package}"
        ) from None
