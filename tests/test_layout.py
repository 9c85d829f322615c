"""The layout rules a reviewer would otherwise check by hand: short modules, spec folders that
never become packages, and the import contracts of `.importlinter`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAX_LINES = 800


def test_no_module_over_800_lines():
    long = {
        str(p.relative_to(REPO)): n
        for p in (REPO / "symbolic").rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these modules: {long}"


@pytest.mark.parametrize("folder", ["symbolic/specs", "datasets"])
def test_spec_folders_are_not_packages(folder):
    """Data folders stay data: `datasets` has the name of Hugging Face's package, and the
    tokenizer specs (once `tokenizers/`, the name of another) are package data, not a module."""
    assert (REPO / folder).is_dir()
    assert not list((REPO / folder).rglob("*.py"))


def test_no_top_level_folder_shadows_hugging_face():
    """`tokenizers/` at the top would shadow the package transformers imports."""
    assert not (REPO / "tokenizers").exists()


def test_import_contracts_hold():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    run = subprocess.run([lint], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]
