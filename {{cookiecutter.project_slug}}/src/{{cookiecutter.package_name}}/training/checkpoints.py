"""What an interrupted run left on disk, checked before ``train --resume`` trusts it.

An unfinished run lives in ``artifacts/.incomplete-<run-id>/``: ``state.json`` (what it was
started with), ``tokenizer/`` and the Trainer's ``checkpoints/checkpoint-<step>/``. Each file is
checked for what a crash, a full disk or a stray edit leaves (truncated weights, garbage
pickles, invalid JSON); a bad one is a ``ProjectError`` that names the file and what to delete,
so ``train`` exits 2 with one line instead of a traceback, and never restarts silently.

A checkpoint without ``trainer_state.json`` (which the Trainer writes last) was being saved when
the run stopped: it is skipped, and the line says so.
"""

from __future__ import annotations

import errno
import json
import zipfile
from pathlib import Path

from ..errors import ProjectError, one_line

STATE = "state.json"  # what an interrupted run was started with, checked by --resume
STATE_KEYS = ("run_id", "created", "profile", "specs", "data")
TRAINER_STATE = "trainer_state.json"
#: a checkpoint's weights: the whole model, or a peft adapter (with the modules it trains in full)
WEIGHTS = ("model.safetensors", "adapter_model.safetensors")
#: files ``torch.save`` wrote (zip archives); the Trainer loads those present when resuming
PICKLES = ("optimizer.pt", "scheduler.pt", "scaler.pt", "rng_state.pth")
#: errors of a write that found no room: full disk, quota, file size limit
NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
#: how torch and safetensors report such a write: they wrap the OSError, or (torch's C++ stream writer) lose it
NO_SPACE_TEXT = (
    "no space left on device",
    "disk quota exceeded",
    "file too large",
    "file write failed",  # PytorchStreamWriter
    "iostream error",  # torch.save's std::ostream once a write failed
    "unexpected pos",  # torch.save's zip writer after a short write
)


def shown(path: Path, root: Path) -> str:
    """``path`` relative to the project root when inside it, for messages."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def read_state(work: Path, root: Path, run_id: str) -> dict:
    """The ``state.json`` of interrupted run ``run_id``; a ``ProjectError`` saying to start over when it is unusable."""
    path = work / STATE
    fix = f"the run cannot be resumed: delete {shown(work, root)} and start a new run with `train`"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ProjectError(f"{shown(path, root)}: unreadable or not JSON ({one_line(err)}); {fix}") from None
    missing = [key for key in STATE_KEYS if not isinstance(state, dict) or key not in state]
    if missing or not isinstance(state.get("specs"), dict) or not isinstance(state.get("data"), dict):
        what = f"misses {', '.join(missing)}" if missing else "has specs or data that are not mappings"
        raise ProjectError(f"{shown(path, root)}: {what}; {fix}")
    if state["run_id"] != run_id:
        raise ProjectError(f"{shown(path, root)}: names run {state['run_id']!r}, not {run_id!r}; {fix}")
    return state


def newest_checkpoint(directory: Path, root: Path) -> Path | None:
    """The checkpoint with the highest step whose ``trainer_state.json`` is complete, or ``None``.

    Skips (and says so) a checkpoint without ``trainer_state.json``: it was being saved when the
    run stopped. A ``trainer_state.json`` that is there but unreadable is a ``ProjectError``.
    """
    found = []
    for path in directory.glob("checkpoint-*") if directory.is_dir() else ():
        step = path.name.removeprefix("checkpoint-")
        if path.is_dir() and step.isdigit():
            found.append((int(step), path))
    for _, path in sorted(found, reverse=True):
        state_file = path / TRAINER_STATE
        if not state_file.exists():
            print(f"skipping {shown(path, root)}: it has no {TRAINER_STATE} (the run stopped while saving it)")
            continue
        try:
            state = json.loads(state_file.read_text(encoding="utf-8"))
            if not isinstance(state, dict) or not isinstance(state.get("epoch"), int | float):
                raise ValueError("no epoch number")
        except (OSError, UnicodeDecodeError, ValueError) as err:
            raise ProjectError(
                f"{shown(state_file, root)}: not a valid Trainer state ({one_line(err)}); "
                f"delete {shown(path, root)} to resume from the checkpoint before it (or from the start)"
            ) from None
        return path
    return None


def check_checkpoint(path: Path, root: Path) -> None:
    """Raise ``ProjectError`` naming the first file of checkpoint ``path`` that cannot be loaded."""
    from safetensors import safe_open

    fix = f"delete {shown(path, root)} to resume from the checkpoint before it (or from the start)"
    weights = next((path / name for name in WEIGHTS if (path / name).exists()), path / WEIGHTS[0])
    try:
        with safe_open(str(weights), framework="pt") as handle:  # checks the header covers the whole file
            handle.keys()
    except Exception as err:  # SafetensorError, OSError: truncated, garbage, missing
        raise ProjectError(f"{shown(weights, root)}: cannot be loaded ({one_line(err)}); {fix}") from None
    for name in PICKLES:
        pickle = path / name
        if not pickle.exists():
            continue
        try:  # torch.save writes a zip archive whose directory is at the end: a cut file has none
            with zipfile.ZipFile(pickle) as archive:
                if not any(member.endswith("/data.pkl") or member == "data.pkl" for member in archive.namelist()):
                    raise ValueError("no data.pkl in the archive")
        except (OSError, ValueError, zipfile.BadZipFile) as err:
            raise ProjectError(f"{shown(pickle, root)}: not a file torch.save wrote ({one_line(err)}); {fix}") from None


def load_saved_tokenizer(work: Path, root: Path):
    """The tokenizer an interrupted run saved when it started; a ``ProjectError`` when it cannot be loaded."""
    from transformers import AutoTokenizer

    saved = work / "tokenizer"
    try:
        return AutoTokenizer.from_pretrained(saved)
    except Exception as err:  # `{}`, truncated JSON, missing files: the tokenizers library raises plain Exception
        raise ProjectError(
            f"{shown(saved, root)}: the run's tokenizer cannot be loaded ({one_line(err)}); the run cannot be "
            f"resumed: delete {shown(work, root)} and start a new run with `train`"
        ) from None


def checkpoint_load_error(checkpoint: Path, root: Path, err: BaseException) -> ProjectError:
    """The error for a checkpoint that passed ``check_checkpoint`` but failed when the Trainer loaded it."""
    return ProjectError(
        f"{shown(checkpoint, root)}: cannot be resumed from ({one_line(err)}); delete it to resume from the "
        "checkpoint before it (or from the start)"
    )


def no_space(err: BaseException) -> bool:
    """True when ``err`` (or an error it came from) is a write that found no room."""
    while err is not None:
        if isinstance(err, OSError) and err.errno in NO_SPACE:
            return True
        if any(text in str(err).lower() for text in NO_SPACE_TEXT):
            return True
        err = err.__cause__ or err.__context__
    return False


def no_space_error(work: Path, root: Path, run_id: str, err: BaseException, resumable: bool) -> ProjectError:
    """The one line for a run that ran out of disk space (or hit a file size limit) while writing."""
    then = (
        f"then `train --resume --run-id {run_id}` continues from its last complete checkpoint"
        if resumable
        else "then start the run again"
    )
    return ProjectError(
        f"no space left while writing run {run_id} in {shown(work, root)} ({one_line(err)}); "
        f"artifacts/latest is unchanged. Free space (or lower training.checkpoints_to_keep), {then}"
    )
