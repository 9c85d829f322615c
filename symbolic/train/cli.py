"""`symgen train RECIPE.yaml [--trainer.* --model.* --data.*]`: LightningCLI, then export.

Any Lightning setting is an override (`--trainer.devices 4 --trainer.strategy ddp`). A run
resumes from `last.ckpt` in its checkpoint folder when one exists. When fitting ends, the
model is exported as a shipped folder (`--export DIR`) with its validation loss in the card.
The recipe's `task` picks the module and data: `lm` (default, the REMI/ABC language models)
`infill` (the grid diffusion model of `symbolic.train.infill`) or `chords` (the chord
recogniser of `symbolic.train.chords`).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.cli import LightningCLI

TASKS = ("lm", "infill", "chords")


class TrainCLI(LightningCLI):
    """LightningCLI with the export folder, model-card fields and checkpointing added."""

    def add_arguments_to_parser(self, parser) -> None:
        parser.add_argument("--export", type=str, default="", help="shipped model folder to write")
        parser.add_argument("--card", type=dict, default={}, help="model-card fields")
        parser.add_argument(
            "--ckpt_dir", type=str, default="runs/last", help="Lightning checkpoints"
        )
        parser.add_argument("--ckpt_every", type=int, default=200, help="steps between checkpoints")
        parser.add_argument("--task", type=str, default="lm", help=f"one of {', '.join(TASKS)}")


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
    task = "lm"
    if args and not args[0].startswith("-"):
        task = (yaml.safe_load(Path(args[0]).read_text()) or {}).get("task", "lm")
        args = ["--config", args[0], *args[1:]]
    cli = TrainCLI(
        *_classes(task),
        args=args,
        run=False,
        save_config_kwargs={"overwrite": True},
        seed_everything_default=0,
    )
    cfg = cli.config
    ckpt_dir = Path(cfg.ckpt_dir)
    checkpoint = ModelCheckpoint(
        dirpath=ckpt_dir, save_last=True, every_n_train_steps=cfg.ckpt_every, save_top_k=0
    )
    cli.trainer.callbacks.append(checkpoint)
    if cli.trainer.logger:
        cli.trainer.callbacks.append(LearningRateMonitor(logging_interval="step"))
    resume = ckpt_dir / "last.ckpt"
    cli.trainer.fit(cli.model, cli.datamodule, ckpt_path=str(resume) if resume.exists() else None)
    if cfg.export:
        from symbolic.models.checkpoint import export

        results = cli.trainer.validate(cli.model, cli.datamodule, verbose=False)
        metrics = results[0] if results and results[0] else {}
        if cfg.task in ("infill", "chords"):
            card = cli.model.export(cfg.export, cfg.card, metrics, cli.datamodule.build_info())
            loss = card.get("val_loss_per_masked_cell", card.get("val_loss"))
            print(f"exported to {cfg.export}: validation loss {loss}")
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
            "data": build.get("source"),
            "tokenizer": build.get("tokenizer"),
            "recipe": cfg.get("config", [None])[0].relative if cfg.get("config") else None,
        }
        export(cli.model.model, tok, cfg.export, card, cli.model.extra_weights())
        print(f"exported to {cfg.export}: validation loss {card['val_loss']}")
