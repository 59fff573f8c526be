"""What ``train`` shows while it trains: a line per epoch and a closing line, instead of Hugging Face's logs.

``install`` replaces the Trainer's own log printer with a ``Progress`` callback, which prints on
the main process only::

    training on 1000 rows, validating on 200: at most 20 epochs, early stopping on validation loss (patience 3)
    epoch  1/20  train loss 1.5423  validation loss 1.2875, macro_f1 0.4218, accuracy 0.4850  (best)
    ...
    stopped early at epoch 9 of 20: validation loss did not improve for 3 epochs; keeping the best epoch, 6 (...)

Progress bars (tqdm: one per epoch of training, one per validation pass) are drawn on stderr only
when it is a terminal, and vanish when their phase ends, so logs and pipes get the lines alone.
"""

from __future__ import annotations

import math
import sys

from tqdm.auto import tqdm
from transformers import EarlyStoppingCallback, PrinterCallback, ProgressCallback, TrainerCallback

#: validation metrics shown on each epoch line, in this order (those the run computes)
SHOWN = ("loss", "macro_f1", "accuracy")


def install(trainer, *, train_rows: int, validation_rows: int) -> Progress:
    """Swap ``trainer``'s log printing and progress bar for a ``Progress`` callback; returns it."""
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    stopper = [c for c in trainer.callback_handler.callbacks if isinstance(c, EarlyStoppingCallback)]
    progress = Progress(train_rows, validation_rows, patience=stopper[0].early_stopping_patience if stopper else None)
    trainer.add_callback(progress)
    return progress


def _number(value: float) -> str:
    return f"{value:.4f}"


class Progress(TrainerCallback):
    """Epoch lines, a closing line that says why training stopped, and bars on a terminal."""

    def __init__(self, train_rows: int, validation_rows: int, *, patience: int | None, bars: bool | None = None):
        self.train_rows, self.validation_rows, self.patience = train_rows, validation_rows, patience
        self.bars = sys.stderr.isatty() if bars is None else bars
        self.epochs: dict[int, dict] = {}  # epoch -> its training loss and validation metrics (eval_*)
        self.train_loss: float | None = None
        self.bar = self.eval_bar = None
        self.last_step = 0

    def _say(self, line: str) -> None:
        if self.bar is not None:
            tqdm.write(line, file=sys.stdout)
        else:
            print(line, flush=True)

    @staticmethod
    def _watched(args) -> str | None:
        return args.metric_for_best_model.removeprefix("eval_") if args.metric_for_best_model else None

    def _best(self, args) -> int | None:
        """The first epoch with the best validation score so far: the one ``load_best_model_at_end`` keeps."""
        key = f"eval_{self._watched(args)}"
        scored = [(epoch, values[key]) for epoch, values in self.epochs.items() if key in values]
        if not scored:
            return None
        best = (max if args.greater_is_better else min)(value for _, value in scored)
        return next(epoch for epoch, value in scored if value == best)

    def _scores(self, epoch: int) -> str:
        values = self.epochs[epoch]
        return ", ".join(f"{name} {_number(values[f'eval_{name}'])}" for name in SHOWN if f"eval_{name}" in values)

    def on_train_begin(self, args, state, control, **kwargs):
        self.last_step = state.global_step
        for entry in state.log_history:  # a resumed run's earlier epochs count for the best one
            if "eval_loss" in entry:
                self.epochs[round(entry["epoch"])] = entry
        if not state.is_world_process_zero:
            return
        watched = self._watched(args)
        stopping = "no early stopping"
        if watched and self.patience:
            stopping = f"early stopping on validation {watched} (patience {self.patience})"
        resuming = f", resuming after epoch {round(state.epoch)}" if state.global_step else ""
        self._say(
            f"training on {self.train_rows} rows, validating on {self.validation_rows}: "
            f"at most {state.num_train_epochs} epochs, {stopping}{resuming}"
        )

    def on_epoch_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero and self.bars:
            per_epoch = math.ceil(state.max_steps / max(state.num_train_epochs, 1))
            done = state.global_step % per_epoch  # a resumed run restarts mid-epoch
            epoch = f"epoch {math.floor(state.epoch) + 1}/{state.num_train_epochs}"
            self.bar = tqdm(total=per_epoch, initial=done, desc=epoch, leave=False, unit="step")

    def on_step_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.update(state.global_step - self.last_step)
        self.last_step = state.global_step

    def on_prediction_step(self, args, state, control, eval_dataloader=None, **kwargs):
        if not (state.is_world_process_zero and self.bars):
            return
        if self.eval_bar is None:
            total = len(eval_dataloader) if eval_dataloader is not None else None
            self.eval_bar = tqdm(total=total, desc="validation", leave=False, unit="batch")
        self.eval_bar.update(1)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:  # the mean training loss of the epoch (the run logs once per epoch)
            self.train_loss = logs["loss"]

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if self.eval_bar is not None:
            self.eval_bar.close()
            self.eval_bar = None
        if not state.is_world_process_zero:
            return
        epoch, total = round(state.epoch), state.num_train_epochs
        self.epochs[epoch] = {"train_loss": self.train_loss, **(metrics or {})}
        loss = "" if self.train_loss is None else f"train loss {_number(self.train_loss)}  "
        best = "  (best)" if self._watched(args) and self._best(args) == epoch else ""
        self._say(f"epoch {epoch:>{len(str(total))}}/{total}  {loss}validation {self._scores(epoch)}{best}")
        self.train_loss = None

    def on_epoch_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def on_train_end(self, args, state, control, **kwargs):
        for bar in (self.bar, self.eval_bar):
            if bar is not None:
                bar.close()
        self.bar = self.eval_bar = None
        if state.is_world_process_zero:
            self._say(self.closing(args, state))

    def closing(self, args, state) -> str:
        """Why training stopped, and which epoch's model the run keeps."""
        epoch, total, watched = round(state.epoch), state.num_train_epochs, self._watched(args)
        if state.global_step < state.max_steps:
            why = f"stopped early at epoch {epoch} of {total}: validation {watched} did not improve"
            why += f" for {self.patience} epoch{'s' if self.patience > 1 else ''}" if self.patience else ""
        elif args.max_steps > 0:
            why = f"reached the maximum of {state.max_steps} steps, in epoch {epoch}"
        else:
            why = f"reached the maximum of {total} epochs"
        best = self._best(args) if watched and args.load_best_model_at_end else None
        if best is None:
            return f"{why}; keeping the last epoch's model"
        return f"{why}; keeping the best epoch, {best} ({self._scores(best)} on validation)"
