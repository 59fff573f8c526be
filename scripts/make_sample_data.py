"""Write the sample support-ticket dataset that every baked project starts with.

Seeded and deterministic: the same code writes the same bytes, and a test keeps the committed
files equal to what this script writes. The texts are made up here from templates, not copied.

The data is meant to be realistically hard for a tiny model (the default model lands near 0.9
test macro-F1, not 1.0), and its evaluation splits measure generalisation, not recall:

- a ticket states a problem of its queue and usually a detail on the same matter. Every problem
  and every detail occurs in the train split, but each (problem, detail) pair belongs either to
  the train split or to the evaluation splits (validation, test, golden), and a tenth of the
  validation and test tickets state a problem in words no train ticket uses (some of them with
  another queue's vocabulary: "the tracking page shows error 502" is technical);
- the rest of a ticket (greeting, sign-off, how sentences are joined, a sentence of context, a
  second topic) comes from a ``train`` or an ``eval`` half of each phrase pool, and the slots
  (order numbers, amounts, products, error codes, ...) from large pools or made up per ticket;
- an evaluation ticket whose word-3-gram Jaccard similarity to any train ticket reaches
  ``MAX_SIMILARITY`` is drawn again, so the policy gate's near-duplicate rule stays quiet;
- some tickets mention a second topic that belongs to another queue, a few labels are wrong, chat
  has typos, and the ``phone`` channel (speech transcripts: no punctuation, fillers, misheard and
  lost words) is clearly harder than ``email`` and ``chat``. The golden split holds clear-cut
  e-mail and chat tickets only.

No text holds personal data: no names, e-mail addresses, phone or card numbers (digit runs are at
most six long).

    python scripts/make_sample_data.py [--task text-generation] OUT_DIR [--pin]

``--pin`` also writes the new sha256 of each file into the template's ``specs/data.yaml`` (for
``--task text-generation``, the generation overlay's). The generation data are replies to tickets
of the same queues: each row holds a ticket, its channel and queue, and the agent's reply.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

DATA_SPEC = Path(__file__).resolve().parents[1] / "{{cookiecutter.project_slug}}" / "specs" / "data.yaml"
#: task -> the data spec that pins its sample data (a generation project's comes from its overlay)
DATA_SPECS = {
    "text-classification": DATA_SPEC,
    "text-generation": DATA_SPEC.parents[1] / "_tasks" / "text-generation" / "specs" / "data.yaml",
}

SEED = 20261202
SIZES = {"train": 1000, "validation": 200, "test": 400}
GOLDEN_SIZE = 40
CHANNELS = (("email", 0.42), ("chat", 0.33), ("phone", 0.25))
LABEL_NOISE = {"email": 0.02, "chat": 0.03, "phone": 0.05}
SECOND_TOPIC = {"email": 0.2, "chat": 0.2, "phone": 0.25}
#: share of train tickets that state a problem without a detail
SINGLE = 0.4
#: share of validation and test tickets whose problem is worded as no train ticket words it
UNSEEN = 0.1
#: share of tickets that also carry a sentence of context unrelated to the queue
CONTEXT = 0.2
#: chat: share of words of four letters or more with a typo (two letters swapped, or one lost)
TYPO_RATE = 0.06
#: speech-recognition slips on phone transcripts: a word misheard, a filler inserted, a word lost
ASR_SLIP, ASR_FILLER, ASR_DROP = 0.6, 0.1, 0.08
#: an evaluation ticket at least this similar to a train ticket (word-3-gram Jaccard) is drawn again
MAX_SIMILARITY = 0.35
SHINGLE = 3

SLOTS = {
    "plan": [
        "the Pro plan",
        "my annual subscription",
        "the family plan",
        "the team plan",
        "the starter plan",
        "the business tier",
        "the monthly plan",
        "the premium bundle",
    ],
    "product": [
        "jacket",
        "headphones",
        "coffee grinder",
        "running shoes",
        "desk lamp",
        "backpack",
        "blender",
        "phone case",
        "rain coat",
        "office chair",
        "water bottle",
        "wool sweater",
        "toaster",
        "hiking boots",
        "yoga mat",
        "smart watch",
        "bed sheets",
        "kettle",
        "sunglasses",
        "keyboard",
        "air fryer",
        "denim shorts",
        "baby monitor",
        "camping stove",
    ],
    "feature": [
        "the settings page",
        "the calendar",
        "the photo upload",
        "the checkout screen",
        "the dashboard",
        "the search bar",
        "the reports tab",
        "the file viewer",
        "the map view",
        "the chat window",
        "the invoice editor",
        "the media library",
    ],
    "named_code": ["ERR_TIMEOUT", "SYNC_FAILED", "AUTH_EXPIRED", "NET_UNREACHABLE", "DB_LOCKED", "UPLOAD_REJECTED"],
    "http_code": ["500", "502", "503", "504", "403", "404"],
    "day": [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "on Saturday",
        "last week",
        "yesterday",
        "this morning",
        "two days ago",
        "over the weekend",
        "at the start of the month",
    ],
    "integration": ["Slack", "calendar", "Shopify", "Zapier", "Google Drive", "Dropbox", "Salesforce", "Teams"],
    "format": ["CSV", "PDF", "Excel", "JSON"],
    "device": ["iPhone", "Android phone", "tablet", "laptop", "work computer", "iPad", "Chromebook"],
    "country": ["Canada", "Ireland", "Norway", "Mexico", "Portugal", "Japan", "Australia", "Poland", "Chile"],
    "carrier": ["the courier", "the delivery company", "the postal service", "the driver", "the carrier"],
}

#: per queue, what the ticket is about (``problems``) and a second sentence on the same matter
#: (``details``). Every problem and every detail occurs in the train split, but a (problem, detail)
#: pair is either a train pair or an evaluation pair (see ``_is_eval_pair``), and the ``unseen``
#: problems, worded with the train vocabulary, occur in evaluation tickets only.
TOPICS = {
    "billing": {
        "problems": [
            "I was charged twice for {plan}",
            "my card was charged {amount} two times",
            "the payment for {plan} keeps getting declined",
            "the monthly price went up to {amount}",
            "I cancelled {plan} but was still charged {amount}",
            "the discount code was not applied to my invoice",
            "there is a charge of {amount} I do not recognise",
            "I was charged {amount} twice for order {order}",
            "the renewal charge of {amount} came without warning",
            "my invoice shows the wrong amount",
        ],
        "details": [
            "please refund the extra charge",
            "can you send a corrected invoice",
            "my bank statement shows both payments",
            "I need the billing fixed before the next renewal",
            "our company needs a receipt with the tax number",
            "I want to update the credit card on file",
            "please check my billing history",
            "the charge appeared {day}",
        ],
        "unseen": [
            "the invoice for {plan} charged my card twice",
            "why is the renewal price {amount} now",
            "I paid for express shipping on {order} and the payment went through twice",
            "the refund for order {order} shows up as a new charge",
        ],
    },
    "technical": {
        "problems": [
            "the app crashes every time I open {feature}",
            "I get error {code} when I try to sync",
            "{feature} is really slow since the last update",
            "export to {format} gives me an empty file",
            "the {integration} integration stopped working",
            "the page keeps loading and then shows error {code}",
            "{feature} is blank after the update",
            "notifications stopped arriving on my {device}",
            "the {integration} sync duplicates every entry",
            "the app freezes on my {device}",
        ],
        "details": [
            "I already reinstalled the app",
            "it started {day}",
            "restarting my {device} did not help",
            "the error also shows on the website",
            "clearing the cache changed nothing",
            "it happens in every browser I tried",
            "my whole team sees the same bug",
            "the latest version did not fix it",
        ],
        "unseen": [
            "{feature} crashes with error {code}",
            "since the update the {integration} sync is slow",
            "the tracking page shows error {code}",
            "the password field on {feature} freezes the app",
        ],
    },
    "account": {
        "problems": [
            "I can't reset my password",
            "the password reset email never arrives",
            "I lost my phone and can't get the two-factor code",
            "I need to change the email address on my account",
            "please delete my account and all my data",
            "my account got locked after too many login attempts",
            "someone else logged into my account {day}",
            "I can't log in, it says my username does not exist",
            "I want to add a second user to my account",
            "please merge my two accounts into one",
        ],
        "details": [
            "I still need access to my profile",
            "the login page just reloads",
            "I changed my password {day}",
            "please secure my account",
            "my profile settings are greyed out",
            "I can't get into my account at all",
            "the security code never comes",
            "I want to keep my account history",
        ],
        "unseen": [
            "my username is locked out of the account",
            "the login asks for a code my lost phone gets",
            "the billing email on my account is old and I need to change it",
            "I can't log in to see my orders",
        ],
    },
    "shipping": {
        "problems": [
            "my order {order} hasn't arrived yet",
            "I need to change the delivery address for order {order}",
            "the package was supposed to arrive {day}",
            "tracking for order {order} has not updated in a week",
            "{carrier} left my parcel at the wrong address",
            "can you ship order {order} express instead",
            "only part of order {order} was delivered",
            "do you deliver to {country}",
            "the delivery driver never came",
            "order {order} shows delivered but I never got it",
        ],
        "details": [
            "the tracking still says in transit",
            "I needed the parcel {day}",
            "nobody at the depot can tell me where it is",
            "how long does shipping take",
            "I stayed home all day waiting for the delivery",
            "the courier has not called me",
            "the delivery estimate keeps moving",
            "I paid for express shipping",
        ],
        "unseen": [
            "the parcel for {order} is still in transit",
            "where is my package, the tracking says delivered",
            "the app says my parcel was delivered but it is not here",
            "my order went to the old address on my account",
        ],
    },
    "returns": {
        "problems": [
            "I'd like to return the {product}, it doesn't fit",
            "I sent the {product} back and still have no refund",
            "the {product} arrived broken",
            "can I exchange the {product} for a different size",
            "how do I print a return label for order {order}",
            "the {product} is not what I ordered",
            "is it too late to return the {product}",
            "you sent me the wrong colour {product}",
            "the {product} stopped working after a week",
            "I returned the {product} but the refund was only partial",
        ],
        "details": [
            "I want a replacement",
            "I want to send it back for a refund",
            "the return window should still be open",
            "I still have the original box",
            "can I get my money back",
            "I dropped it at the post office {day}",
            "please send me a return label",
            "I would rather have store credit",
        ],
        "unseen": [
            "the {product} does not fit, can I send it back",
            "my refund for the broken {product} is missing",
            "I want to return the {product} and cancel the charge",
            "the replacement for my broken {product} has not been delivered",
        ],
    },
}
#: per queue, the problems of golden tickets: canonical ones no release may misroute
GOLDEN_PROBLEMS = {
    "billing": (0, 2, 3, 6),
    "technical": (0, 1, 3, 7),
    "account": (0, 3, 5, 7),
    "shipping": (0, 2, 3, 7),
    "returns": (0, 2, 4, 6),
}
#: how the second sentence is joined to the first, per split pool
JOINS = {"train": [". ", ", ", " and "], "eval": [", so ", "; ", " - "]}

#: a second, shorter topic that belongs to another queue (the ticket keeps its first topic's queue)
SECOND = {
    "billing": {
        "train": ["also I think I was overcharged last month", "and please check the charge of {amount} on my card"],
        "eval": ["one more thing, the last invoice looked off", "plus there is a payment of {amount} I do not get"],
    },
    "technical": {
        "train": ["also the app has been slow lately", "by the way {feature} shows error {code} sometimes"],
        "eval": ["oh and the website was down earlier", "separately, {feature} crashed on me {day}"],
    },
    "account": {
        "train": ["also I might need to change my password", "and I could not log in to my account {day}"],
        "eval": ["also my login stopped working at one point", "and I would like to rename my profile"],
    },
    "shipping": {
        "train": ["also my other order is late", "and the tracking link does not work"],
        "eval": ["oh and another parcel of mine is still on its way", "plus the delivery estimate keeps moving"],
    },
    "returns": {
        "train": ["also I may want to send something back", "and the {product} I sent back has no refund yet"],
        "eval": ["one more thing, I want to return a {product} too", "plus I still have an open return"],
    },
}
#: sentences about the customer, not the queue
STORY = {
    "train": [
        "I have been a customer for {years} years",
        "this is the second time I am writing about this",
        "I already checked your help pages",
        "I need this sorted out before {day}",
        "a friend told me to contact you directly",
    ],
    "eval": [
        "nobody answered my message from {day}",
        "I use you for my small shop",
        "sorry if this is the wrong team",
        "it is quite urgent for me",
        "my manager asked me to get in touch",
    ],
}
OPENERS = {
    "email": {
        "train": ["Hello,", "Hi team,", "Good morning,", ""],
        "eval": ["Dear support,", "Hi there,", "Good afternoon,", ""],
    },
    "chat": {"train": ["hi", "hey", ""], "eval": ["hello", "yo", ""]},
    "phone": {"train": ["yeah hi so", "um hello", "okay so"], "eval": ["hi there yeah", "hello um", "right so"]},
}
CLOSERS = {
    "email": {
        "train": ["Thanks in advance.", "Kind regards.", ""],
        "eval": ["Thank you.", "Best wishes.", ""],
    },
    "chat": {"train": ["thanks", "pls help", ""], "eval": ["thx", "any ideas?", ""]},
    "phone": {"train": ["yeah thanks", "um yeah", ""], "eval": ["okay thank you", "that's it", ""]},
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
    "parcel": "partial",
    "billing": "building",
}
FILLERS = ["um", "uh", "like", "you know", "so", "basically"]
WORD = re.compile(r"\w+")


def _slot(name: str, rng: random.Random) -> str:
    """A value for one ``{slot}``: drawn from ``SLOTS`` or made up (order numbers, amounts, codes)."""
    if name == "order":
        return f"{rng.choice('ABCDKMRT')}-{rng.randint(10000, 99999)}"
    if name == "amount":
        cents = rng.choice(["", "", ".99", ".50", f".{rng.randint(10, 99)}"])
        return f"${rng.randint(4, 320)}{cents}"
    if name == "code":
        kind = rng.choice(["named_code", "http_code", "number"])
        return f"E{rng.randint(100, 9999)}" if kind == "number" else rng.choice(SLOTS[kind])
    if name == "days":
        return str(rng.randint(10, 60))
    if name == "years":
        return rng.choice(["two", "three", "five", "ten", "many"])
    return rng.choice(SLOTS[name])


def _fill(template: str, rng: random.Random) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: _slot(m.group(1), rng), template)


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


def _typos(text: str, rng: random.Random) -> str:
    """Chat typing slips: in some longer words two neighbouring letters swap, or one is lost."""

    def slip(m: re.Match) -> str:
        word = m.group()
        if len(word) < 4 or rng.random() >= TYPO_RATE:
            return word
        i = rng.randrange(1, len(word) - 1)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :] if rng.random() < 0.5 else word[:i] + word[i + 1 :]

    return re.sub(r"[A-Za-z]+", slip, text)


def _is_eval_pair(problem: int, detail: int) -> bool:
    """Whether a (problem, detail) pair belongs to the evaluation tickets: a quarter of the pairs do."""
    return (3 * problem + detail) % 4 == 0


def _statement(queue: str, split: str, rng: random.Random) -> str:
    """What a ticket of ``queue`` says about its matter, from the pairs (or single problems) ``split`` may use."""
    topic = TOPICS[queue]
    problems, details = topic["problems"], topic["details"]
    if split == "train":
        i = rng.randrange(len(problems))
        if rng.random() < SINGLE:
            return _fill(problems[i], rng)
        j = rng.choice([j for j in range(len(details)) if not _is_eval_pair(i, j)])
        return _fill(problems[i] + rng.choice(JOINS["train"]) + details[j], rng)
    if split != "golden" and rng.random() < UNSEEN:
        problem, detail = rng.choice(topic["unseen"]), rng.choice(details)
    else:
        i = rng.choice(GOLDEN_PROBLEMS[queue] if split == "golden" else range(len(problems)))
        problem, detail = problems[i], details[rng.choice([j for j in range(len(details)) if _is_eval_pair(i, j)])]
    return _fill(problem + rng.choice(JOINS["eval"]) + detail, rng)


def _ticket(queue: str, channel: str, split: str, rng: random.Random, *, mixed: bool, story: bool) -> str:
    """One ticket of ``queue`` in the style of ``channel``: its statement, maybe a second topic and some context."""
    pool = "train" if split == "train" else "eval"
    parts = [_statement(queue, split, rng)]
    if mixed:
        other = rng.choice([q for q in TOPICS if q != queue])
        parts.append(_fill(rng.choice(SECOND[other][pool]), rng))
    if story:
        parts.insert(rng.choice([0, len(parts)]), _fill(rng.choice(STORY[pool]), rng))
    opener, closer = rng.choice(OPENERS[channel][pool]), rng.choice(CLOSERS[channel][pool])
    if channel == "email":
        body = re.sub(r"(^|[.?] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), ". ".join(parts) + ".")
        return " ".join(p for p in (opener, body, closer) if p)
    text = " ".join(p for p in (opener, rng.choice([", ", " "]).join(parts), closer) if p)
    if channel == "phone":
        return _speech(text, rng)
    text = text if split == "golden" else _typos(text, rng)
    return text.lower() if rng.random() < 0.5 else text


def _channel(rng: random.Random) -> str:
    return rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]


def _key(text: str) -> str:
    """A text as the policy gate compares texts for duplicates: NFKC, case-folded, words only."""
    return " ".join(WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def shingles(text: str) -> frozenset:
    """The word 3-grams of a text as the policy gate compares them (a shorter text is one shingle)."""
    words = _key(text).split()
    if len(words) <= SHINGLE:
        return frozenset([tuple(words)])
    return frozenset(tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


class TrainIndex:
    """The train split's shingles, to find the train text most similar to a candidate."""

    def __init__(self, texts: list[str]):
        self.sets = [shingles(t) for t in texts]
        self.index: dict[tuple, list[int]] = defaultdict(list)
        for i, found in enumerate(self.sets):
            for s in found:
                self.index[s].append(i)

    def max_similarity(self, text: str) -> float:
        """The highest word-3-gram Jaccard similarity of ``text`` to any train text."""
        mine = shingles(text)
        shared: dict[int, int] = defaultdict(int)
        for s in mine:
            for i in self.index.get(s, ()):
                shared[i] += 1
        return max((n / (len(mine) + len(self.sets[i]) - n) for i, n in shared.items()), default=0.0)


def generate() -> dict[str, list[dict]]:
    """Rows of every split; no two texts are the same, even ignoring case, punctuation and spacing."""
    rng = random.Random(SEED)
    queues = list(TOPICS)
    seen: set[str] = set()
    splits: dict[str, list[dict]] = {}
    train_index: TrainIndex | None = None
    for split, size in {**SIZES, "golden": GOLDEN_SIZE}.items():
        rows: list[dict] = []
        while len(rows) < size:
            queue = queues[len(rows) % len(queues)]
            if split == "golden":  # clear-cut tickets a release must always get right
                channel, mixed, noisy, story = rng.choice(["email", "chat"]), False, False, False
            else:
                channel = _channel(rng)
                mixed = rng.random() < SECOND_TOPIC[channel]
                noisy = rng.random() < LABEL_NOISE[channel]
                story = rng.random() < CONTEXT
            text = _ticket(queue, channel, split, rng, mixed=mixed, story=story)
            if _key(text) in seen or (train_index and train_index.max_similarity(text) >= MAX_SIMILARITY):
                continue
            seen.add(_key(text))
            label = rng.choice([q for q in queues if q != queue]) if noisy else queue
            rows.append({"id": f"{split[:2]}-{len(rows):04d}", "text": text, "queue": label, "channel": channel})
        rng.shuffle(rows)
        splits[split] = rows
        if split == "train":
            train_index = TrainIndex([r["text"] for r in rows])
    return splits


#: text generation: the reply to each problem of ``TOPICS`` (same order)
REPLIES = {
    "billing": [
        "I am sorry you were charged twice. I have refunded the second payment.",
        "I am sorry about the double charge on your card. I have refunded it.",
        "I am sorry the payment was declined. Please add another card in your billing settings.",
        "The new price follows our yearly price change. I have sent you the details.",
        "I am sorry you were charged after cancelling. I have refunded the charge.",
        "I have applied the discount code and sent you a corrected invoice.",
        "I have looked up the charge and sent you the details of that payment.",
        "I am sorry your order was charged twice. I have refunded the second charge.",
        "I am sorry the renewal came without warning. I have refunded it and turned off auto renewal.",
        "I have corrected the amount and sent you a new invoice.",
    ],
    "technical": [
        "I am sorry the app crashes. Please update the app; the latest version fixes this crash.",
        "That error means the sync timed out. Please sign out and in again, then sync.",
        "I am sorry it is slow. Our engineers are on it and the next update makes it faster.",
        "I am sorry the export was empty. Please export again; exports are fixed now.",
        "I am sorry the integration stopped. Please reconnect it in the settings.",
        "That error means the page timed out. Please reload the page, it works again now.",
        "I am sorry the page is blank. Please clear the cache and open it again.",
        "Please allow notifications for the app in the settings of your device.",
        "I am sorry about the duplicates. I have removed the copies; please reconnect the sync.",
        "I am sorry the app freezes. Please update the app and restart your device.",
    ],
    "account": [
        "I have sent you a new password reset link. It works for one hour.",
        "I have sent the reset email again. Please check your spam folder too.",
        "I have turned off two-factor login so you can sign in and set it up on your new phone.",
        "I can change your email address. Please confirm the new address from the link I sent.",
        "I have deleted your account and all your data as you asked.",
        "I have unlocked your account. You can log in again now.",
        "I have signed out every session and locked your account. Please set a new password.",
        "I have found your account under your email address. Please log in with your email.",
        "I have sent an invite for the second user to your account.",
        "I have merged your two accounts into one. Your history is kept.",
    ],
    "shipping": [
        "I am sorry your order has not arrived. I have asked the courier to trace it.",
        "I have changed the delivery address of your order.",
        "I am sorry the package is late. I have asked the courier for a new delivery date.",
        "I am sorry the tracking has not updated. I have asked the courier to trace your order.",
        "I am sorry your parcel went to the wrong address. I have asked the courier to collect it.",
        "I have upgraded your order to express shipping.",
        "I am sorry part of your order is missing. I have sent the missing items.",
        "Yes, we deliver there. International shipping takes about ten days.",
        "I am sorry the driver never came. I have booked a new delivery.",
        "I am sorry you never got your order. I have opened a claim with the courier.",
    ],
    "returns": [
        "I am sorry it does not fit. I have sent you a free return label.",
        "I am sorry the refund is late. I have refunded your return today.",
        "I am sorry it arrived broken. I have sent you a replacement.",
        "Yes, you can exchange it. I have sent you a label to swap the size.",
        "I have sent you a return label for your order by email.",
        "I am sorry you got the wrong item. I have sent you the item you ordered.",
        "You can still return it within thirty days. I have sent you a return label.",
        "I am sorry about the wrong colour. I have sent you the right one.",
        "I am sorry it stopped working. I have sent you a replacement under warranty.",
        "I am sorry the refund was partial. I have refunded the rest.",
    ],
}
#: how a reply opens, per channel the ticket came in on
GREETINGS = {
    "email": "Thank you for your email.",
    "chat": "Thanks for your chat message.",
    "phone": "Thank you for calling us.",
}
GENERATION_SEED = SEED + 12
GENERATION_SIZES = {"train": 600, "validation": 100, "test": 150}
#: golden rows per queue
GENERATION_GOLDEN = 4
#: a ticket of an evaluation split at least this similar to a train ticket is drawn again
GENERATION_SIMILARITY = 0.6


def _held_out(problem: int, channel: str) -> bool:
    """Whether the reply to ``problem`` on ``channel`` is kept out of the train split: a third of
    the (problem, channel) pairs are, so no golden reply is ever a train reply."""
    return (problem + [c for c, _ in CHANNELS].index(channel)) % 3 == 0


def _request(queue: str, problem: int, channel: str, split: str, rng: random.Random) -> tuple[str, str]:
    """``(ticket, reply)``: a ticket stating ``problem`` of ``queue`` and the reply to it, sharing slot values."""
    topic = TOPICS[queue]
    values: dict[str, str] = {}

    def fill(template: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: values.setdefault(m.group(1), _slot(m.group(1), rng)), template)

    pool = "train" if split == "train" else "eval"
    statement = fill(topic["problems"][problem])
    if split != "golden" and rng.random() >= SINGLE:  # a golden ticket states its problem alone
        details = [j for j in range(len(topic["details"])) if _is_eval_pair(problem, j) == (pool == "eval")]
        statement += rng.choice(JOINS[pool]) + fill(topic["details"][rng.choice(details)])
    opener, closer = rng.choice(OPENERS[channel][pool]), rng.choice(CLOSERS[channel][pool])
    if channel == "email":
        body = re.sub(r"(^|[.?] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), statement + ".")
        ticket = " ".join(p for p in (opener, body, closer) if p)
    else:
        ticket = " ".join(p for p in (opener, statement, closer) if p)
        ticket = _speech(ticket, rng) if channel == "phone" else ticket
    return ticket, f"{GREETINGS[channel]} {REPLIES[queue][problem]}"


def generate_replies() -> dict[str, list[dict]]:
    """Instruction/response rows of every split: a ticket, its channel and queue, and the reply.

    No golden ticket or reply occurs in the train split (see ``_held_out``), and evaluation
    tickets are not near copies of train tickets.
    """
    rng = random.Random(GENERATION_SEED)
    queues, channels = list(TOPICS), [c for c, _ in CHANNELS]
    seen: set[str] = set()
    splits: dict[str, list[dict]] = {}
    train_index: TrainIndex | None = None
    for split, size in {**GENERATION_SIZES, "golden": GENERATION_GOLDEN * len(queues)}.items():
        rows: list[dict] = []
        while len(rows) < size:
            queue = queues[len(rows) % len(queues)]
            if split == "golden":  # clear-cut e-mail and chat tickets, each reply different, none a train reply
                channel = rng.choice(channels[:2])
                problem = rng.choice([i for i in range(len(TOPICS[queue]["problems"])) if _held_out(i, channel)])
                if any(r["queue"] == queue and r["reply"].endswith(REPLIES[queue][problem]) for r in rows):
                    continue
            else:
                channel, problem = _channel(rng), rng.randrange(len(TOPICS[queue]["problems"]))
                if split == "train" and _held_out(problem, channel):
                    continue
            ticket, reply = _request(queue, problem, channel, split, rng)
            if _key(ticket) in seen or (train_index and train_index.max_similarity(ticket) >= GENERATION_SIMILARITY):
                continue
            seen.add(_key(ticket))
            rows.append(
                {"id": f"{split[:2]}-{len(rows):04d}", "ticket": ticket, "channel": channel, "queue": queue, "reply": reply}
            )
        rng.shuffle(rows)
        splits[split] = rows
        if split == "train":
            train_index = TrainIndex([r["ticket"] for r in rows])
    return splits


def write(out: Path, task: str = "text-classification") -> dict[str, Path]:
    """Write ``<split>.jsonl`` files of ``task``'s sample data into ``out``; returns split -> path."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split, rows in (generate_replies() if task == "text-generation" else generate()).items():
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
    task = "text-classification"
    if args[:1] == ["--task"] and len(args) > 1:
        task, args = args[1], args[2:]
    if len(args) != 1 or task not in DATA_SPECS:
        sys.exit("usage: " + __doc__.split("    ", 1)[1].splitlines()[0])
    written = write(Path(args[0]), task)
    for split, path in written.items():
        print(f"{split}: {path}")
    if "--pin" in sys.argv:
        pin(written, DATA_SPECS[task])
        print(f"pinned the new hashes in {DATA_SPECS[task].relative_to(DATA_SPEC.parents[2])}")
