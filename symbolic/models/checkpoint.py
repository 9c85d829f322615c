"""Shipped model folders: `save_pretrained` layout plus tokenizer spec and a model card.

A folder holds `config.json`, `model.safetensors` (bf16), `tokenizer.json`, `card.json` and
`README.md` (the model card). `transformers.AutoModelForCausalLM.from_pretrained(folder)` loads
it; symgen's own loader reads the safetensors directly (never unpickles, no transformers import).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import platform
from dataclasses import dataclass
from pathlib import Path

from symbolic.errors import SymgenError
from symbolic.paths import checkpoint_dir


def resolve(name_or_path: str | Path) -> Path:
    """A shipped model name (`abc-folk`) or a folder path → the folder."""
    path = Path(name_or_path)
    if (path / "config.json").exists():
        return path
    shipped = checkpoint_dir(str(name_or_path))
    if (shipped / "config.json").exists():
        return shipped
    known = sorted(p.name for p in checkpoint_dir("").iterdir() if (p / "config.json").exists())
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
