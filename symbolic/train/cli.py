"""`symgen train RECIPE.yaml [--trainer.* --model.* --data.*]`: LightningCLI, then export.

Any Lightning setting is an override (`--trainer.devices 4 --trainer.strategy ddp`). A run
resumes from `last.ckpt` in its checkpoint folder when one exists. When fitting ends, the
model is exported as a model folder (`--export DIR`, `runs/NAME` in the recipes) with its
validation loss in the card; shipping it into `symbolic/checkpoints/` is a separate step,
`symgen promote runs/NAME`, which keeps the shipped model when it is the better one. Training
never writes there: an `--export` into it is refused before fitting starts. A missing or
malformed recipe, an unknown key or a missing data folder is one line (`SymgenError`).
The recipe's `task` picks the module and data: `lm` (default, the REMI/ABC language models)
`infill` (the grid diffusion model of `symbolic.train.infill`) or `chords` (the chord
recogniser of `symbolic.train.chords`).
"""

from __future__ import annotations

import json
import time
import warnings
from argparse import ArgumentError
from pathlib import Path

import yaml
from lightning.pytorch.callbacks import Callback, LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.cli import LightningCLI

from symbolic.errors import SymgenError
from symbolic.paths import checkpoint_dir
from symbolic.train.data import warm_seed

TASKS = ("lm", "infill", "chords")


class TrainCLI(LightningCLI):
    """LightningCLI with the export folder, model-card fields and checkpointing added."""

    def add_arguments_to_parser(self, parser) -> None:
        parser.add_argument(
            "--export", type=str, default="", help="model folder to write (runs/NAME; then promote)"
        )
        parser.add_argument("--card", type=dict, default={}, help="model-card fields")
        parser.add_argument(
            "--ckpt_dir", type=str, default="runs/last", help="Lightning checkpoints"
        )
        parser.add_argument("--ckpt_every", type=int, default=200, help="steps between checkpoints")
        parser.add_argument("--task", type=str, default="lm", help=f"one of {', '.join(TASKS)}")
        parser.add_argument(
            "--run_time", type=str, default="", help="stop this run after HH:MM:SS and save"
        )

    def parse_arguments(self, parser, args) -> None:
        """Parse, then refuse what would fail later or overwrite a shipped model, before the
        seed is set or anything is built (so the refusal is the only line printed)."""
        super().parse_arguments(parser, args)
        self._check(self.config)

    @staticmethod
    def _check(cfg) -> None:
        data = Path(str(cfg.data.path)) if cfg.get("data") and cfg.data.get("path") else None
        if data is not None and not data.is_dir():
            raise SymgenError(
                f"data folder {data} not found: build it first (the recipe's comment says how) "
                "or pass --data.path FOLDER"
            )
        if data is not None and not (data / "build.json").is_file():
            raise SymgenError(f"{data}: not a data build (no build.json); pass --data.path FOLDER")
        if cfg.get("run_time"):
            _seconds(cfg.run_time)
        if cfg.export and _inside(Path(cfg.export), checkpoint_dir("")):
            name = Path(cfg.export).name
            raise SymgenError(
                f"--export {cfg.export} would overwrite a shipped model: export to runs/{name}, "
                f"then ship it with `symgen promote runs/{name}`"
            )


class RunTime(Callback):
    """Stop this run after `seconds` of fitting, or at the next step once `stop_file` exists
    (the checkpoint callback then saves `last.ckpt` and the run exports): a session's share of
    a model trained over many sessions (Lightning's `max_time` adds up every resumed run)."""

    def __init__(self, seconds: float, stop_file: Path) -> None:
        self.seconds, self.stop_file, self.start = seconds, stop_file, 0.0

    def on_train_start(self, trainer, pl_module) -> None:
        self.start = time.monotonic()
        self.stop_file.unlink(missing_ok=True)

    def on_train_batch_end(self, trainer, *args) -> None:
        late = time.monotonic() - self.start >= self.seconds
        if not trainer.should_stop and (late or self.stop_file.exists()):
            trainer.should_stop = True


def _seconds(text: str) -> float:
    """ "HH:MM:SS" (or "MM:SS", "SS") in seconds."""
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        raise SymgenError(f"--run_time {text!r}: write HH:MM:SS, e.g. 02:00:00") from None
    if not 1 <= len(parts) <= 3 or any(p < 0 for p in parts):
        raise SymgenError(f"--run_time {text!r}: write HH:MM:SS, e.g. 02:00:00")
    return sum(p * 60**i for i, p in enumerate(reversed(parts)))


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _read_recipe(name: str) -> dict:
    """The recipe's YAML as a mapping, or a `SymgenError` saying what is wrong with it."""
    path = Path(name)
    if not path.is_file():
        raise SymgenError(f"{path}: no such recipe; give a YAML file such as recipes/abc-folk.yaml")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise SymgenError(f"{path}: cannot read the recipe ({err})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise SymgenError(f"{path}: not valid YAML{where} ({problem}); fix the recipe") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise SymgenError(
            f"{path}: a recipe is a YAML mapping (trainer:, model:, data:, ...), "
            f"not a {type(doc).__name__}"
        )
    task = doc.get("task", "lm")
    if task not in TASKS:
        raise SymgenError(f"{path}: unknown task {task!r}; use one of {', '.join(TASKS)}")
    return doc


def _one_line(err: Exception) -> str:
    """jsonargparse's message (often several indented lines) on one line."""
    text = ""
    for line in (raw.strip(" -") for raw in str(err).splitlines()):
        if line:
            text += ("" if not text else " " if text.endswith(":") else "; ") + line
    return text if len(text) <= 300 else text[:297] + "..."


def _classes(task: str) -> tuple[type, type]:
    """The LightningModule and DataModule of a recipe's task."""
    if task == "infill":
        from symbolic.train.infill import GridDataModule, InfillModule

        return InfillModule, GridDataModule
    if task == "chords":
        from symbolic.train.chords import ChordDataModule, ChordModule

        return ChordModule, ChordDataModule
    from symbolic.train.data import ShardDataModule
    from symbolic.train.module import LMModule

    return LMModule, ShardDataModule


def run(args: list[str]) -> None:
    """Fit from a recipe (first argument) plus overrides, resume if possible, then export."""
    task, where = "lm", "the arguments"
    if args and not args[0].startswith("-"):
        task = _read_recipe(args[0]).get("task", "lm")
        where = args[0]
        args = ["--config", args[0], *args[1:]]
    try:
        with warnings.catch_warnings():
            # `args` on purpose: the recipe and the overrides symgen's own parser left over
            warnings.filterwarnings("ignore", message="LightningCLI's args parameter")
            cli = TrainCLI(
                *_classes(task),
                args=args,
                run=False,
                save_config_kwargs={"overwrite": True},
                seed_everything_default=0,
                parser_kwargs={"exit_on_error": False},
            )
    except ArgumentError as err:
        raise SymgenError(f"{where}: {_one_line(err)}") from None
    cfg = cli.config
    ckpt_dir = Path(cfg.ckpt_dir)
    checkpoint = ModelCheckpoint(
        dirpath=ckpt_dir, save_last=True, every_n_train_steps=cfg.ckpt_every, save_top_k=0
    )
    cli.trainer.callbacks.append(checkpoint)
    seconds = _seconds(cfg.run_time) if cfg.run_time else float("inf")
    cli.trainer.callbacks.append(RunTime(seconds, ckpt_dir / "STOP"))
    if cli.trainer.logger:
        cli.trainer.callbacks.append(LearningRateMonitor(logging_interval="step"))
    cli.datamodule.seed = warm_seed(cli.datamodule.seed, cfg.model.get("init_from"))
    resume = ckpt_dir / "last.ckpt"
    cli.trainer.fit(cli.model, cli.datamodule, ckpt_path=str(resume) if resume.exists() else None)
    if cfg.export:
        from symbolic.models.checkpoint import export

        results = cli.trainer.validate(cli.model, cli.datamodule, verbose=False)
        metrics = results[0] if results and results[0] else {}
        if cfg.task in ("infill", "chords"):
            card = cli.model.export(cfg.export, cfg.card, metrics, cli.datamodule.build_info())
            loss = card.get("val_loss_per_masked_cell", card.get("val_loss"))
            print(f"exported to {cfg.export}: validation loss {loss}; {_ship_hint(cfg.export)}")
            return
        tok = cli.datamodule.tokenizer()
        build = json.loads((Path(cli.datamodule.path) / "build.json").read_text())
        card = {
            **cfg.card,
            "val_loss": round(float(metrics["val/loss"]), 4) if metrics else None,
            "val_bits_per_token": (
                round(float(metrics["val/bits_per_token"]), 4) if metrics else None
            ),
            "train_steps": int(cli.trainer.global_step),
            "tokens_seen": int(cli.model.tokens_seen),
            "warm_start": cli.model.warm_start,
            "data_build": {k: build.get(k) for k in ("date", "splits", "transpose")},
            "data": build.get("source"),
            "tokenizer": build.get("tokenizer"),
            "recipe": cfg.get("config", [None])[0].relative if cfg.get("config") else None,
        }
        export(cli.model.model, tok, cfg.export, card, cli.model.extra_weights())
        loss = card["val_loss"]
        print(f"exported to {cfg.export}: validation loss {loss}; {_ship_hint(cfg.export)}")


def _ship_hint(folder: str) -> str:
    return f"ship it with: symgen promote {folder}"
