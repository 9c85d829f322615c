"""Shipped model folders: `save_pretrained` layout plus tokenizer spec and a model card.

A folder holds `config.json`, `model.safetensors` (bf16), `tokenizer.json`, `card.json` and
`README.md` (the model card). `transformers.AutoModelForCausalLM.from_pretrained(folder)` loads
it; symgen's own loader reads the safetensors directly (never unpickles, no transformers import).
Training exports such a folder to `runs/NAME/`; `promote` (`symgen promote runs/NAME`) ships it
into `symbolic/checkpoints/NAME` when its card reports a better validation loss.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import platform
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from symbolic.errors import SymgenError
from symbolic.paths import checkpoint_dir, spec_path


def resolve(name_or_path: str | Path) -> Path:
    """A shipped model name (`abc-folk`) or a folder path → the folder."""
    path = Path(name_or_path)
    if (path / "config.json").exists():
        return path
    shipped = checkpoint_dir(str(name_or_path))
    if (shipped / "config.json").exists():
        return shipped
    known = sorted(
        p.name
        for p in checkpoint_dir("").iterdir()
        if (p / "config.json").exists() and not p.name.startswith(".")
    )
    raise SymgenError(
        f"no model named {name_or_path!r}; shipped models: {', '.join(known) or 'none'}, "
        "or give a folder made by `symgen train`"
    )


def load_tokenizer(folder: Path):
    """The tokenizer saved beside a model."""
    path = folder / "tokenizer.json"
    spec = json.loads(path.read_text())
    if "controls" in spec:
        from symbolic.tokenize.remi import load_remi_tokenizer

        return load_remi_tokenizer(path)
    if "classes" in spec:
        from symbolic.tokenize.abc import AbcTokenizer

        return AbcTokenizer.load(path)
    if spec.get("name") == "lyric2melody":
        from symbolic.tokenize.lyric import load_lyric_tokenizer

        return load_lyric_tokenizer(path)
    raise SymgenError(f"{path}: not a tokenizer spec symgen knows")


@dataclass
class Model:
    """A loaded model: fast decoder, its tokenizer and its card."""

    folder: Path
    decoder: object
    tokenizer: object
    card: dict


def load_model(name_or_path: str | Path) -> Model:
    """Load a shipped or trained model for sampling (kept in memory for later calls)."""
    folder = resolve(name_or_path).resolve()
    return _load(folder, (folder / "model.safetensors").stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _load(folder: Path, version: int) -> Model:
    from symbolic.models.sampling import FastDecoder

    card_path = folder / "card.json"
    card = json.loads(card_path.read_text()) if card_path.exists() else {}
    return Model(folder, FastDecoder.from_folder(folder), load_tokenizer(folder), card)


def export(model, tokenizer, folder: str | Path, card: dict, extra: dict | None = None) -> Path:
    """Write a trained `transformers` model as a shipped folder with its card (bf16 weights).

    `extra` weights outside the decoder (the text-prefix MLP) go to `text_prefix.safetensors`.
    """
    import torch
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model = model.to(torch.bfloat16)
    model.save_pretrained(folder, safe_serialization=True)
    model.to(torch.float32)
    (folder / "generation_config.json").unlink(missing_ok=True)
    if extra:
        save_file(
            {k: v.detach().to(torch.bfloat16).contiguous() for k, v in extra.items()},
            str(folder / "text_prefix.safetensors"),
        )
    tokenizer.save(folder / "tokenizer.json")
    size = sum(p.numel() for p in model.parameters())
    write_card(folder, card, size + sum(v.numel() for v in (extra or {}).values()))
    return folder


def write_card(folder: Path, card: dict, parameters: int) -> dict:
    """Write card.json and README.md (the model card) with date, machine and size added."""
    card = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, CPU",
        "parameters": parameters,
        **card,
    }
    (folder / "card.json").write_text(json.dumps(card, indent=1))
    lines = [f"# {card.get('name', folder.name)}", "", card.get("description", ""), ""]
    lines += [f"- **{k}**: {v}" for k, v in card.items() if k not in ("name", "description")]
    (folder / "README.md").write_text("\n".join(lines) + "\n")
    return card


def save_net(net, folder: str | Path, card: dict, model_type: str) -> Path:
    """A network that is not a language model (its `cfg` a dataclass) as a shipped folder:
    config.json (with `model_type`), bf16 model.safetensors, card.json and README.md."""
    from dataclasses import asdict

    import torch
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = {"model_type": model_type, **asdict(net.cfg)}
    (folder / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    weights = {k: v.detach().to(torch.bfloat16).contiguous() for k, v in net.state_dict().items()}
    save_file(weights, str(folder / "model.safetensors"))
    write_card(folder, card, sum(p.numel() for p in net.parameters()))
    return folder


def load_net(folder: str | Path, build, *, strict: bool = True):
    """The network of a `save_net` folder: `build(config dict)` makes it, the weights load in
    float32 (with `strict=False` parameters the folder lacks keep their initial values), and
    it comes back in eval mode."""
    from safetensors.torch import load_file

    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text())
    config.pop("model_type", None)
    net = build(config)
    weights = {k: v.float() for k, v in load_file(str(folder / "model.safetensors")).items()}
    net.load_state_dict(weights, strict=strict)
    return net.eval()


# ---------------------------------------------------------------------------------- promote
# What a model folder ships: config, weights (the decoder's and any extra such as the text
# prefix), tokenizer spec and card. Lightning's checkpoints beside them (runs/NAME/last.ckpt)
# and anything else stay behind.
SHIPPED_SUFFIXES = (".json", ".safetensors")
SHIPPED_NAMES = ("README.md",)
# Models whose input is not tokens (the chord recogniser reads beat features): no spec needed.
NO_TOKENIZER = ("symgen-chord-recogniser",)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def validation_loss(card: dict) -> tuple[str, float] | None:
    """The card's validation loss as (key, value): the grid model's per masked cell, else
    `val_loss`; None when the card reports none."""
    for key in ("val_loss_per_masked_cell", "val_loss"):
        value = card.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
            return key, float(value)
    return None


def _read_json(path: Path, what: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SymgenError(f"{path}: unreadable {what} ({err})") from None
    if not isinstance(data, dict):
        raise SymgenError(f"{path}: {what} is not a JSON object")
    return data


def _check_safetensors(path: Path) -> None:
    """A safetensors file whose header parses (8-byte length, then JSON), without loading it."""
    try:
        with path.open("rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            ok = 0 < size <= path.stat().st_size - 8
            header = json.loads(handle.read(size)) if ok else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict) or not any(k != "__metadata__" for k in header):
        raise SymgenError(f"{path}: not a safetensors weights file; export the model again")


def check_model_folder(folder: str | Path) -> dict:
    """The card of a complete model folder (config, weights, card, tokenizer spec), or a
    `SymgenError` naming what is missing."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SymgenError(f"{folder}: no such folder; give one that `symgen train` exported")
    missing = [
        n for n in ("config.json", "model.safetensors", "card.json") if not (folder / n).is_file()
    ]
    if missing:
        raise SymgenError(
            f"{folder}: not a complete model (no {', '.join(missing)}); "
            "give a folder that `symgen train` exported"
        )
    config = _read_json(folder / "config.json", "model config")
    card = _read_json(folder / "card.json", "model card")
    for weights in sorted(folder.glob("*.safetensors")):
        _check_safetensors(weights)
    if (folder / "tokenizer.json").is_file():
        spec = _read_json(folder / "tokenizer.json", "tokenizer spec")
        if not ("controls" in spec or "classes" in spec or spec.get("name") == "lyric2melody"):
            raise SymgenError(f"{folder / 'tokenizer.json'}: not a tokenizer spec symgen knows")
    elif config.get("model_type") in NO_TOKENIZER:
        pass
    elif str(config.get("model_type")).startswith("symgen-") and card.get("tokenizer"):
        try:  # the grid model's vocabulary is the shipped grid spec, named in its card
            spec_path(str(card["tokenizer"]))
        except FileNotFoundError:
            raise SymgenError(
                f"{folder}: no tokenizer.json, and its card names {card['tokenizer']!r}, "
                "which is not a shipped spec"
            ) from None
    else:
        raise SymgenError(f"{folder}: not a complete model (no tokenizer.json)")
    return card


def promote(
    source: str | Path,
    name: str | None = None,
    *,
    force: bool = False,
    root: str | Path | None = None,
) -> dict:
    """Ship a trained model folder (`runs/NAME`) as `symbolic/checkpoints/NAME` (or `name`).

    Refuses an incomplete folder; refuses, unless `force`, to replace a shipped model whose card
    reports a better validation loss (or one that cannot be compared: none reported, another
    measure, another kind of model). The files are copied to a temporary folder beside the
    target, which then takes the shipped one's place by rename, so the shipped name never
    holds part of a model. Returns what was done, for `--json`.
    """
    source = Path(source)
    card = check_model_folder(source)
    name = name or source.resolve().name
    if not _NAME.fullmatch(name):
        raise SymgenError(f"{name!r}: not a model name; use letters, digits, '.', '_' and '-'")
    root = Path(root) if root is not None else checkpoint_dir("")
    target = root / name
    if target.exists() and target.resolve() == source.resolve():
        raise SymgenError(f"{source}: is already the shipped {name}")
    new = validation_loss(card)
    old = None
    if (target / "card.json").is_file() and not force:
        old = _refuse_worse(source, target, card)
    elif (target / "card.json").is_file():
        old = validation_loss(_read_json(target / "card.json", "model card"))
    elif not force and new is None:
        raise SymgenError(
            f"{source}: its card reports no validation loss; pass --force to ship it anyway"
        )
    files = sorted(
        p
        for p in source.iterdir()
        if p.is_file() and (p.suffix in SHIPPED_SUFFIXES or p.name in SHIPPED_NAMES)
    )
    _replace_folder(files, root, name)
    return {
        "shipped": str(target),
        "from": str(source),
        "files": [p.name for p in files],
        "validation_loss": new[1] if new else None,
        "replaced_validation_loss": old[1] if old else None,
        "forced": force,
    }


def _refuse_worse(source: Path, target: Path, card: dict) -> tuple[str, float] | None:
    """A `SymgenError` unless `source` may replace the shipped `target`; the shipped loss."""
    hint = "pass --force to replace it anyway"
    name = target.name
    old_card = _read_json(target / "card.json", "model card")
    new, old = validation_loss(card), validation_loss(old_card)
    kinds = [
        _read_json(folder / "config.json", "model config").get("model_type")
        if (folder / "config.json").is_file()
        else None
        for folder in (source, target)
    ]
    if kinds[1] is not None and kinds[0] != kinds[1]:
        raise SymgenError(
            f"the shipped {name} is a {kinds[1]} model and {source} a {kinds[0]} one; {hint}"
        )
    if new is None:
        raise SymgenError(f"{source}: its card reports no validation loss; {hint}")
    if old is None:
        return None
    if new[0] != old[0]:
        raise SymgenError(
            f"the shipped {name} reports {old[0]} and {source} {new[0]}: not comparable; {hint}"
        )
    if old[1] < new[1]:
        raise SymgenError(
            f"the shipped {name} has the better validation loss ({old[1]} against {new[1]} "
            f"in {source}); {hint}"
        )
    return old


def _replace_folder(files: list[Path], root: Path, name: str) -> None:
    """Copy `files` into `root/name`: a hidden temporary folder beside it is filled first,
    then renamed into place (the folder it replaces is moved aside first and removed last, and
    put back if the rename fails)."""
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.promote-", dir=root))
    aside = None
    target = root / name
    try:
        for path in files:
            shutil.copy2(path, staging / path.name)
            with (staging / path.name).open("rb") as handle:
                os.fsync(handle.fileno())
        if target.exists():
            aside = Path(tempfile.mkdtemp(prefix=f".{name}.old-", dir=root))
            os.rename(target, aside / name)
        try:
            os.rename(staging, target)
        except OSError:
            if aside is not None:
                os.rename(aside / name, target)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
