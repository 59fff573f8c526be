"""The BentoML service: classify texts into the model's labels, with adaptive batching.

``POST /classify`` takes ``{"texts": ["...", ...]}`` and answers one prediction per text:
``{"label", "score", "scores": {label: probability}}``. Everything tunable comes from
``specs/deployment.yaml`` through ``ServiceConfig``: resources, traffic (timeout, concurrency),
batching and input limits. Inputs beyond the limits, of the wrong type or empty (blank, or only
invisible characters) are answered 400 with the field and the reason; a body larger than the
limits can need is answered 413 before it is read, a POST that is not JSON 415, and a 503 says
when to retry (see ``guard``). A refused request is logged as one line; its text never reaches
a log.

``/livez`` answers as soon as the process runs; ``/readyz`` only once the model is loaded, which
happens in the background so that a large model does not make the process look dead. A model
that fails to load makes ``/livez`` fail, so the orchestrator restarts the replica.

BentoML imports ``<package>.serving.service:Classifier``; the class is built on first access
from the bento arguments (``--arg-file`` when serving from source, ``bento.yaml`` in a bento), so
this module imports without them. Tests and benchmarks build their own with ``create(config)``.
torch and transformers are imported when the model loads, so ``bentoml build`` stays light.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import unicodedata
from typing import Annotated, Any

import bentoml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .config import ServiceConfig, bento_image, configured_service
from .guard import RequestGuard, body_limit, quiet_client_errors
from .predlog import TASK, PredictionLog, now, word_counts

logger = logging.getLogger(__name__)

PREDICTED = bentoml.metrics.Counter(
    name="predicted_label", documentation="Predictions served, by predicted label", labelnames=["label"]
)


class Prediction(BaseModel):
    label: str = Field(description="The most probable label.")
    score: float = Field(description="Its probability.")
    scores: dict[str, float] = Field(description="Probability of every label.")


#: characters that render as nothing but are neither whitespace nor format characters (Hangul fillers, blank braille)
INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _visible(char: str) -> bool:
    """False for whitespace, control and format characters (zero-width, bidi marks, BOM) and fillers."""
    return not (char.isspace() or char in INVISIBLE or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp"))


def _not_blank(text: str) -> str:
    if not any(map(_visible, text)):
        raise ValueError("text is empty, or only whitespace or invisible characters")
    return text


def _input_model(config: ServiceConfig) -> type[BaseModel]:
    """The request body: 1 to ``max_items`` texts of 1 to ``max_text_chars`` characters."""
    limits = config.limits
    text = Annotated[str, Field(max_length=limits.max_text_chars), AfterValidator(_not_blank)]

    class ClassifyInput(BaseModel):
        # hide_input_in_errors: a refused text must not be copied into the server log
        model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

        texts: Annotated[list[text], Field(min_length=1, max_length=limits.max_items)] = Field(
            description=f"1 to {limits.max_items} texts of at most {limits.max_text_chars} characters each."
        )

    return ClassifyInput


def create(config: ServiceConfig) -> Any:
    """A BentoML service class configured by ``config``."""
    batching = config.batching

    @bentoml.service(
        name=config.name,
        resources=config.resources,
        traffic=config.traffic,
        image=bento_image(config.image),
        labels={"run-id": config.run_id, "model": config.model},
    )
    class Classifier:
        # declared, so that the bento records the model and `containerize` / `push` carry it
        stored_model = bentoml.models.BentoModel(config.model)

        def __init__(self) -> None:
            self.config = config
            self.model_path = self.stored_model.path  # fails fast when the model is not in the store
            self.model: Any = None
            self.tokenizer: Any = None
            self.device = "cpu"
            self.load_error: BaseException | None = None
            self._loaded = threading.Event()
            self.log = (
                PredictionLog(config.monitoring_dir, flush_s=config.log_flush_s) if config.log_predictions else None
            )
            threading.Thread(target=self._load, name="load-model", daemon=True).start()

        def _load(self) -> None:
            try:
                import torch
                from transformers import AutoModelForSequenceClassification, AutoTokenizer

                self.device = "cuda" if torch.cuda.is_available() else "cpu"
                model = AutoModelForSequenceClassification.from_pretrained(self.model_path)
                labels = tuple(model.config.id2label[i] for i in range(model.config.num_labels))
                if labels != config.labels:
                    raise ValueError(f"model labels {labels} differ from the configured labels {config.labels}")
                self.tokenizer = AutoTokenizer.from_pretrained(self.model_path)
                self.model = model.to(self.device).eval()
                self._loaded.set()
                logger.info("model %s loaded on %s", config.model, self.device)
            except BaseException as err:  # reported through /livez; the orchestrator restarts the replica
                self.load_error = err
                logger.exception("model %s failed to load", config.model)

        def __is_ready__(self) -> bool:
            return self._loaded.is_set()

        def __is_alive__(self) -> bool:
            return self.load_error is None

        def predict(self, texts: list[str]) -> list[dict[str, Any]]:
            """Classify ``texts`` in one forward pass (a plain method: the API calls it, never itself)."""
            if not self._loaded.is_set():
                raise bentoml.exceptions.ServiceUnavailable("the model is still loading; retry when /readyz is 200")
            import torch

            encoded = self.tokenizer(
                texts, truncation=True, max_length=config.max_length, padding=True, return_tensors="pt"
            ).to(self.device)
            try:
                with torch.inference_mode():
                    probs = torch.softmax(self.model(**encoded).logits.float(), dim=-1).cpu().tolist()
            except Exception as err:
                self._log(texts, encoded, None, error=type(err).__name__)
                raise
            out = []
            for row in probs:
                best = max(range(len(row)), key=row.__getitem__)
                scores = {label: round(p, 6) for label, p in zip(config.labels, row, strict=True)}
                out.append({"label": config.labels[best], "score": round(row[best], 6), "scores": scores})
            self._log(texts, encoded, out)
            return out

        def _log(
            self, texts: list[str], encoded: Any, predictions: list[dict] | None, error: str | None = None
        ) -> None:
            """Count the predicted labels (``/metrics``) and queue one log record per text (``predlog``)."""
            for p in predictions or []:
                PREDICTED.labels(label=p["label"]).inc()
            if self.log is None:
                return
            tokens = encoded["attention_mask"].sum(dim=1).tolist()
            records = []
            for i, (text, (words, unseen)) in enumerate(zip(texts, word_counts(self.tokenizer, texts), strict=True)):
                p = predictions[i] if predictions else {"label": None, "score": None}
                shown = {"text": text} if config.log_raw_text else {"input_sha256": _digest(text)}
                records.append(
                    {"ts": now(), "task": TASK, **shown, "input_chars": len(text), "input_tokens": tokens[i],
                     "words": words, "unseen_words": unseen, "label": p["label"], "score": p["score"], "error": error}
                )  # fmt: skip
            self.log.write(records)

        @bentoml.api(
            batchable=batching.enabled,
            max_batch_size=batching.max_batch_size,
            max_latency_ms=batching.max_latency_ms,
            input_spec=_input_model(config),
        )
        def classify(self, texts: list[str]) -> list[Prediction]:
            """One prediction per text, in order."""
            return self.predict(texts)

    Classifier.add_asgi_middleware(RequestGuard, max_body_bytes=body_limit(config.limits))
    quiet_client_errors()
    return Classifier


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


_services: dict[str, Any] = {}


def from_arguments() -> Any:
    """The service configured by the BentoML arguments of this process (built once per configuration)."""
    return configured_service(ServiceConfig, create, _services)


def __getattr__(name: str) -> Any:
    if name == "Classifier":
        return from_arguments()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
