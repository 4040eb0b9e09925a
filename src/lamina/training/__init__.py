"""Training: `compile`/`fit`/`evaluate`/`predict` (the `Trainer` mixed into `Model`)."""

from lamina.training.trainer import Trainer

__all__ = ["Trainer"]
