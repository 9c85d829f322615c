"""Training never overwrites a shipped model: recipes export to runs/NAME, `symgen promote` ships
a complete folder only when it beats the shipped one (or with --force), and `symgen train`
refuses a bad recipe, an unknown key or a missing data folder with one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from symbolic.cli import main
from symbolic.errors import SymgenError
from symbolic.models.checkpoint import check_model_folder, promote
from symbolic.paths import checkpoint_dir

REPO = Path(__file__).resolve().parents[1]
SHIPPED_ABC = checkpoint_dir("abc-folk")


class _SpecCopy:
    """Stands in for a tokenizer in `export`: saves the shipped ABC spec."""

    def save(self, path):
        shutil.copyfile(SHIPPED_ABC / "tokenizer.json", path)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """A tiny language model exported as `symgen train` does, beside a Lightning checkpoint."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from symbolic.models.checkpoint import export

    vocab = json.loads((SHIPPED_ABC / "config.json").read_text())["vocab_size"]
    config = LlamaConfig(
        vocab_size=vocab,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
    )
    folder = tmp_path_factory.mktemp("runs") / "abc-tiny"
    export(LlamaForCausalLM(config), _SpecCopy(), folder, {"name": "abc-tiny", "val_loss": 2.0})
    (folder / "last.ckpt").write_bytes(b"lightning state, not shipped")
    return folder


def _copy(folder: Path, dest: Path, **card) -> Path:
    shutil.copytree(folder, dest)
    if card:
        data = json.loads((dest / "card.json").read_text())
        (dest / "card.json").write_text(json.dumps({**data, **card}))
    return dest


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_promote_ships_a_complete_model(exported, tmp_path):
    root = tmp_path / "checkpoints"
    result = promote(exported, root=root)
    shipped = root / "abc-tiny"
    assert result["shipped"] == str(shipped) and result["validation_loss"] == 2.0
    assert sorted(p.name for p in shipped.iterdir()) == sorted(
        ["README.md", "card.json", "config.json", "model.safetensors", "tokenizer.json"]
    )
    for name in ("config.json", "model.safetensors", "tokenizer.json", "card.json"):
        assert (shipped / name).read_bytes() == (exported / name).read_bytes()
    assert [p.name for p in root.iterdir()] == ["abc-tiny"]  # no temporary folder left
    from symbolic.models.checkpoint import load_model

    assert load_model(shipped).card["name"] == "abc-tiny"


def test_promote_as_another_name(exported, tmp_path):
    promote(exported, "abc-renamed", root=tmp_path)
    assert (tmp_path / "abc-renamed" / "model.safetensors").is_file()
    with pytest.raises(SymgenError, match="not a model name"):
        promote(exported, "../escape", root=tmp_path)


@pytest.mark.parametrize(
    "remove", ["config.json", "model.safetensors", "card.json", "tokenizer.json"]
)
def test_promote_refuses_an_incomplete_folder(exported, tmp_path, remove):
    source = _copy(exported, tmp_path / "runs" / "abc-tiny")
    (source / remove).unlink()
    with pytest.raises(SymgenError, match=remove.replace(".", r"\.")) as err:
        promote(source, root=tmp_path / "checkpoints")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "checkpoints" / "abc-tiny").exists()


def test_promote_refuses_broken_weights_and_missing_folders(exported, tmp_path):
    source = _copy(exported, tmp_path / "runs" / "abc-tiny")
    (source / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(SymgenError, match="not a safetensors"):
        promote(source, root=tmp_path / "checkpoints")
    with pytest.raises(SymgenError, match="no such folder"):
        promote(tmp_path / "runs" / "nothing-here", root=tmp_path / "checkpoints")


def test_promote_refuses_a_worse_model_without_force(exported, tmp_path):
    root = tmp_path / "checkpoints"
    _copy(exported, root / "abc-tiny", val_loss=1.5)
    before = _listing(root / "abc-tiny")
    with pytest.raises(SymgenError, match=r"better validation loss \(1\.5 against 2\.0.*--force"):
        promote(exported, root=root)
    assert _listing(root / "abc-tiny") == before
    result = promote(exported, force=True, root=root)
    assert result["replaced_validation_loss"] == 1.5 and result["forced"]
    assert json.loads((root / "abc-tiny" / "card.json").read_text())["val_loss"] == 2.0
    assert [p.name for p in root.iterdir()] == ["abc-tiny"]


def test_promote_replaces_a_worse_shipped_model(exported, tmp_path):
    root = tmp_path / "checkpoints"
    _copy(exported, root / "abc-tiny", val_loss=3.0)
    (root / "abc-tiny" / "stale.safetensors").write_bytes(b"old")
    result = promote(exported, root=root)
    assert result["replaced_validation_loss"] == 3.0
    assert not (root / "abc-tiny" / "stale.safetensors").exists()


def test_promote_refuses_what_cannot_be_compared(exported, tmp_path):
    root = tmp_path / "checkpoints"
    _copy(exported, root / "abc-tiny", val_loss=3.0)
    unmeasured = _copy(exported, tmp_path / "runs" / "abc-tiny", val_loss=None)
    with pytest.raises(SymgenError, match="no validation loss"):
        promote(unmeasured, root=root)
    other = tmp_path / "other" / "abc-tiny"
    shutil.copytree(checkpoint_dir("chords"), other)
    with pytest.raises(SymgenError, match="symgen-chord-recogniser"):
        promote(other, root=root)


def test_every_shipped_model_is_complete():
    for folder in sorted(checkpoint_dir("").iterdir()):
        if folder.is_dir() and not folder.name.startswith((".", "_")):
            check_model_folder(folder)


def test_cli_promote(exported, tmp_path, monkeypatch, capsys):
    """`symgen promote`: ships into the checkpoints folder, then refuses the same worse model."""
    monkeypatch.setattr("symbolic.models.checkpoint.checkpoint_dir", lambda name: tmp_path / name)
    assert main(["promote", str(exported), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["shipped"] == str(tmp_path / "abc-tiny")
    worse = _copy(exported, tmp_path / "runs" / "abc-tiny", val_loss=2.5)
    assert main(["promote", str(worse)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("symgen promote: ") and "--force" in err
    assert main(["promote", str(worse), "--force"]) == 0


def test_recipes_export_to_runs():
    for recipe in sorted((REPO / "recipes").glob("*.yaml")):
        doc = yaml.safe_load(recipe.read_text())
        assert doc["export"] == f"runs/{recipe.stem}", recipe.name


# ------------------------------------------------------------------ symgen train, bad recipes


@pytest.fixture()
def data_build(tmp_path) -> Path:
    """A folder that passes the data check (training is never reached in these tests)."""
    folder = tmp_path / "shards"
    folder.mkdir()
    (folder / "build.json").write_text(json.dumps({"tokenizer": "remi", "source": "test"}))
    return folder


def _recipe(tmp_path: Path, data: Path | str, **extra) -> Path:
    doc = {
        "trainer": {"accelerator": "cpu", "max_steps": 1, "logger": False},
        "model": {"vocab_size": 672, "d_model": 16, "n_layers": 1, "n_heads": 2, "d_ff": 32},
        "data": {"path": str(data), "seq_len": 16, "batch_size": 1},
        "ckpt_dir": str(tmp_path / "ckpt"),
        "export": str(tmp_path / "runs" / "tiny"),
        **extra,
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _train_fails(capsys, *args: str) -> str:
    code = main(["train", *args])
    err = capsys.readouterr().err
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("symgen train: ") and "Traceback" not in err
    return lines[0]


def test_train_missing_recipe(tmp_path, capsys):
    line = _train_fails(capsys, str(tmp_path / "nope.yaml"))
    assert "no such recipe" in line


def test_train_malformed_yaml(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("trainer:\n  max_steps: [1, 2\nmodel: {\n")
    line = _train_fails(capsys, str(path))
    assert "not valid YAML" in line and "line" in line


def test_train_recipe_not_a_mapping(tmp_path, capsys):
    path = tmp_path / "list.yaml"
    path.write_text("- trainer\n- model\n")
    assert "YAML mapping" in _train_fails(capsys, str(path))


def test_train_unknown_key(tmp_path, data_build, capsys):
    recipe = _recipe(tmp_path, data_build, trainer={"max_steps": 1, "no_such_option": 3})
    line = _train_fails(capsys, str(recipe))
    assert "no_such_option" in line and str(recipe) in line


def test_train_unknown_top_level_key(tmp_path, data_build, capsys):
    line = _train_fails(capsys, str(_recipe(tmp_path, data_build, bogus_key=1)))
    assert "bogus_key" in line


def test_train_unknown_override(tmp_path, data_build, capsys):
    line = _train_fails(capsys, str(_recipe(tmp_path, data_build)), "--model.no_such_size", "3")
    assert "no_such_size" in line


def test_train_missing_data_folder(tmp_path, capsys):
    line = _train_fails(capsys, str(_recipe(tmp_path, tmp_path / "not-built")))
    assert "not-built" in line and "not found" in line


def test_train_refuses_to_export_into_shipped_models(tmp_path, data_build, capsys):
    recipe = _recipe(tmp_path, data_build, export=str(checkpoint_dir("abc-folk")))
    before = _listing(checkpoint_dir("abc-folk"))
    line = _train_fails(capsys, str(recipe))
    assert "symgen promote runs/abc-folk" in line
    assert _listing(checkpoint_dir("abc-folk")) == before
