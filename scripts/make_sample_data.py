"""Write the sample support-ticket dataset that every baked project starts with.

Seeded and deterministic: the same code writes the same bytes, and a test keeps the committed
files equal to what this script writes. The texts are made up here from templates, not copied.

The data is meant to be realistically hard for a tiny model (the default model lands near 0.92
test macro-F1, not 1.0): queues share vocabulary (refund, order, account, charge), some tickets
mention a second topic that belongs to another queue, a few labels are wrong, validation and test
hold phrasings the train split never shows, and the `phone` channel (speech transcripts: no
punctuation, fillers, misheard and lost words) is clearly harder than `email` and `chat`. The
knobs are the constants below; the golden split holds canonical, clear-cut tickets only.

    python scripts/make_sample_data.py OUT_DIR [--pin]

``--pin`` also writes the new sha256 of each file into the template's ``specs/data.yaml``.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import unicodedata
from pathlib import Path

DATA_SPEC = Path(__file__).resolve().parents[1] / "{{cookiecutter.project_slug}}" / "specs" / "data.yaml"

SEED = 20261123
SIZES = {"train": 1000, "validation": 200, "test": 400}
GOLDEN_SIZE = 40
CHANNELS = (("email", 0.42), ("chat", 0.33), ("phone", 0.25))
LABEL_NOISE = {"email": 0.03, "chat": 0.04, "phone": 0.08}
SECOND_TOPIC = {"email": 0.20, "chat": 0.20, "phone": 0.30}
#: templates per queue kept out of the train split: validation and test also hold phrasings never trained on
UNSEEN_TEMPLATES = 1
#: per queue, the templates of golden tickets: canonical phrasings no release may misroute
GOLDEN_TEMPLATES = {
    "billing": (0, 1, 2, 5, 7),
    "technical": (0, 1, 3, 5, 6),
    "account": (0, 2, 3, 4, 7),
    "shipping": (0, 1, 3, 4, 5),
    "returns": (0, 2, 4, 6, 7),
}
#: speech-recognition slips on phone transcripts: a word misheard, a filler inserted, a word lost
ASR_SLIP, ASR_FILLER, ASR_DROP = 0.6, 0.1, 0.1

SLOTS = {
    "amount": ["$9.99", "$14", "$49.99", "$120", "$79", "$5.50", "$250", "$32.40"],
    "plan": ["the Pro plan", "my annual subscription", "the family plan", "the team plan", "the starter plan"],
    "order": ["A-48213", "B-10277", "C-55102", "A-90318", "D-22741", "B-63390", "C-71946"],
    "product": [
        "jacket",
        "headphones",
        "coffee grinder",
        "running shoes",
        "desk lamp",
        "backpack",
        "blender",
        "phone case",
    ],
    "feature": [
        "the settings page",
        "the calendar",
        "the photo upload",
        "the checkout screen",
        "notifications",
        "the search bar",
    ],
    "code": ["E401", "500", "ERR_TIMEOUT", "E-1022", "403", "SYNC_FAILED"],
    "day": ["Monday", "Friday", "last week", "yesterday", "the 3rd", "two days ago"],
    "integration": ["Slack", "calendar", "Shopify", "Zapier", "Google Drive"],
    "format": ["CSV", "PDF", "Excel"],
}

TOPICS = {
    "billing": [
        "I was charged twice for {plan} this month",
        "my card shows two payments of {amount} for the same invoice",
        "why did my monthly price go up to {amount}",
        "my payment keeps getting declined when I try to upgrade {plan}",
        "can you send me an invoice with our company tax number for {day}",
        "I cancelled {plan} but you still charged me {amount}",
        "please refund the {amount} renewal charge, I did not want to renew {plan}",
        "the discount code was not applied and I paid the full {amount}",
        "I need to update the credit card on my account before the next charge",
        "there is a charge of {amount} on my statement I do not recognise",
    ],
    "technical": [
        "the app crashes every time I open {feature}",
        "I get error {code} when I try to sync my data",
        "{feature} is really slow since the last update",
        "export to {format} gives me an empty file",
        "the {integration} integration stopped working {day}",
        "the page just keeps loading and shows error {code}",
        "I updated the app and now {feature} is blank",
        "your website shows error {code} when I try to check out my order",
        "notifications stopped arriving on my phone after the update",
        "the {integration} sync duplicates every entry",
    ],
    "account": [
        "I can't reset my password, the reset email never arrives",
        "I lost my phone and can't get the two-factor code to log in",
        "how do I change the email address on my account",
        "please delete my account and all my data",
        "my account got locked after too many login attempts",
        "someone else logged into my account {day}, please secure it",
        "I want to add a second user to my account",
        "I can't log in, it says my username does not exist",
        "how do I change the name on my profile",
        "please merge my two accounts into one",
    ],
    "shipping": [
        "my order {order} hasn't arrived yet, tracking says in transit",
        "I need to change the delivery address for order {order}",
        "the package was supposed to arrive {day} and it's still not here",
        "tracking for order {order} has not updated in a week",
        "the courier left my parcel at the wrong address",
        "can you ship order {order} express instead of standard",
        "only part of order {order} was delivered",
        "do you deliver to Canada and how long does shipping take",
        "the delivery driver never came even though I stayed home {day}",
        "order {order} shows delivered but I never got it",
    ],
    "returns": [
        "I'd like to return the {product}, it doesn't fit",
        "I sent the {product} back two weeks ago and still have no refund",
        "the {product} arrived broken, I want a replacement",
        "can I exchange the {product} for a different size",
        "how do I print a return label for order {order}",
        "the {product} is not what I ordered, I want to send it back",
        "is it too late to return the {product} I bought {day}",
        "you sent me the wrong colour {product}, how do I return it",
        "the {product} stopped working after a week, can I get my money back",
        "I returned the {product} but the refund was only part of the price",
    ],
}

SECOND = {
    "billing": [
        "also I think I was overcharged last month",
        "and my invoice looks wrong too",
        "also please check the charge of {amount} on my card",
        "and I still want the refund for {plan}",
    ],
    "technical": [
        "also the app has been a bit slow lately",
        "by the way the website showed an error earlier",
        "also {feature} shows error {code} sometimes",
        "and the {integration} sync is broken again",
    ],
    "account": [
        "also I might need to change my password",
        "and I want to update my email at some point",
        "also I could not log in to my account {day}",
        "and please add a second user to my account",
    ],
    "shipping": [
        "also my other order is late",
        "and the tracking link does not work",
        "also order {order} has not been delivered",
        "and I need the delivery address changed",
    ],
    "returns": [
        "also I may want to send something back",
        "and I still have a return open",
        "also the {product} I sent back has no refund yet",
        "and I want to return the {product} too",
    ],
}

OPENERS = {
    "email": ["Hello,", "Hi team,", "Good morning,", "Dear support,", ""],
    "chat": ["hi", "hey", "hello there", "", ""],
    "phone": ["yeah hi so", "um hello", "hi um yeah", "okay so", "hello yes"],
}
CLOSERS = {
    "email": ["Thanks in advance.", "Kind regards.", "Thank you.", "Best,", ""],
    "chat": ["thanks", "thx", "pls help", "", "?"],
    "phone": ["yeah thanks", "okay thank you", "um yeah", "that's it", ""],
}
ASR_SLIPS = {
    "refund": "re fund",
    "invoice": "in voice",
    "password": "pass word",
    "account": "a count",
    "order": "orders",
    "charged": "charge",
    "delivery": "the livery",
    "return": "re turn",
    "error": "era",
    "login": "log in",
    "tracking": "track in",
    "crashes": "crash is",
}
FILLERS = ["um", "uh", "like", "you know", "so", "basically"]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(**{k: rng.choice(v) for k, v in SLOTS.items()})


def _speech(text: str, rng: random.Random) -> str:
    words = []
    for word in text.lower().replace(",", "").replace(".", "").replace("'", "").replace("?", "").split():
        if rng.random() < ASR_SLIP and word in ASR_SLIPS:
            word = ASR_SLIPS[word]
        if rng.random() < ASR_FILLER:
            words.append(rng.choice(FILLERS))
        if rng.random() >= ASR_DROP:
            words.append(word)
    return " ".join(words)


def _templates(queue: str, split: str) -> list[str]:
    """The templates a split draws from: golden the clear-cut ones, train all but the unseen ones, the rest all."""
    every = TOPICS[queue]
    if split == "golden":
        return [every[i] for i in GOLDEN_TEMPLATES[queue]]
    return every if split in ("validation", "test") else every[: len(every) - UNSEEN_TEMPLATES]


def _ticket(queue: str, channel: str, rng: random.Random, *, mixed: bool, templates: list[str] | None = None) -> str:
    """One ticket of ``queue`` from ``templates`` (default: those the train split draws from)."""
    body = _fill(rng.choice(templates or _templates(queue, "train")), rng)
    if mixed:
        other = rng.choice([q for q in TOPICS if q != queue])
        body = f"{body}. {_fill(rng.choice(SECOND[other]), rng)}"
    if channel == "email":
        body += "."
    text = " ".join(p for p in (rng.choice(OPENERS[channel]), body, rng.choice(CLOSERS[channel])) if p)
    if channel == "phone":
        return _speech(text, rng)
    if channel == "chat":
        return text.lower() if rng.random() < 0.5 else text
    return text[0].upper() + text[1:]


def _channel(rng: random.Random) -> str:
    return rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]


def _key(text: str) -> str:
    """A text as the policy gate compares texts for duplicates: NFKC, case-folded, words only."""
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))


def generate() -> dict[str, list[dict]]:
    """Rows of every split; no two texts are the same, even ignoring case, punctuation and spacing."""
    rng = random.Random(SEED)
    queues = list(TOPICS)
    seen: set[str] = set()
    splits: dict[str, list[dict]] = {}
    for split, size in {**SIZES, "golden": GOLDEN_SIZE}.items():
        rows: list[dict] = []
        while len(rows) < size:
            queue = queues[len(rows) % len(queues)]
            if split == "golden":  # clear-cut tickets a release must always get right
                channel, mixed, noisy = rng.choice(["email", "chat"]), False, False
            else:
                channel = _channel(rng)
                mixed = rng.random() < SECOND_TOPIC[channel]
                noisy = rng.random() < LABEL_NOISE[channel]
            text = _ticket(queue, channel, rng, mixed=mixed, templates=_templates(queue, split))
            if _key(text) in seen:
                continue
            seen.add(_key(text))
            label = rng.choice([q for q in queues if q != queue]) if noisy else queue
            rows.append({"id": f"{split[:2]}-{len(rows):04d}", "text": text, "queue": label, "channel": channel})
        rng.shuffle(rows)
        splits[split] = rows
    return splits


def write(out: Path) -> dict[str, Path]:
    """Write ``<split>.jsonl`` files into ``out``; returns split -> path."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split, rows in generate().items():
        path = out / f"{split}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        paths[split] = path
    return paths


def pin(paths: dict[str, Path], spec: Path = DATA_SPEC) -> None:
    """Replace the sha256 under each split's ``path: data/<split>.jsonl`` line of ``spec``."""
    text = spec.read_text(encoding="utf-8")
    for split, path in paths.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        text, count = re.subn(rf"(path: data/{split}\.jsonl\n\s+sha256: )[0-9a-f]{{64}}", rf"\g<1>{digest}", text)
        if count != 1:
            sys.exit(f"{spec}: no sha256 line for data/{split}.jsonl")
    spec.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--pin"]
    if len(args) != 1:
        sys.exit("usage: " + __doc__.split("    ", 1)[1].splitlines()[0])
    written = write(Path(args[0]))
    for split, path in written.items():
        print(f"{split}: {path}")
    if "--pin" in sys.argv:
        pin(written)
        print(f"pinned the new hashes in {DATA_SPEC.relative_to(DATA_SPEC.parents[2])}")
