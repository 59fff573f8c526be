"""A seeded corpus of ticket texts with planted personal data and secrets, for recall checks.

    from tests.planted_pii import planted, REGIONS
    for sample in planted(seed=7): ...

Each sample is one ticket sentence holding one planted value of a known kind, written the way
people write it (cards with spaces, dots or dashes; IBANs of several countries with spaces,
dashes or none; national and international phone numbers; obfuscated e-mail addresses; keys
and tokens). Values are valid where validity is checkable (Luhn, IBAN mod 97, SSN ranges,
phone number plans), so a detector that checks them must find them. The test suite and
``benchmarks/gate_speed.py`` both use it.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

#: regions whose national phone formats the corpus plants (the data spec's pii.regions)
REGIONS = ("US", "GB", "DE")
PER_KIND = 10

TEMPLATES = (
    "hi, {} is what you need to fix my order",
    "please use {} for the refund, thanks",
    "Hello team, my details: {}. Best regards",
    "the app crashed again after I entered {} yesterday",
    "can someone check {} ? it was charged twice",
)


@dataclass(frozen=True)
class Sample:
    """A text, the kind the detector must report, the planted value and where it starts."""

    plant: str  # what was planted, finer than the reported kind (card_dots, phone_gb, ...)
    kind: str  # the kind the scan reports
    text: str
    start: int
    value: str

    @property
    def end(self) -> int:
        return self.start + len(self.value)

    def caught_by(self, findings: Iterable) -> bool:
        """Whether a finding of the right kind covers some of the planted value."""
        return any(f.kind == self.kind and self.start < f.end and f.start < self.end for f in findings)


def _luhn_complete(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits + "0")):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return digits + str((10 - total % 10) % 10)


def _card(rng: random.Random, sep: str) -> str:
    prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("6011", 16), ("37", 15)])
    number = _luhn_complete(prefix + "".join(rng.choices(string.digits, k=length - len(prefix) - 1)))
    if length == 15:
        return sep.join([number[:4], number[4:10], number[10:]])
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


BBAN = {  # country: (length of the basic bank account number, leading letters)
    "DE": (18, 0),
    "GB": (18, 4),
    "FR": (23, 0),
    "NL": (14, 4),
    "ES": (20, 0),
    "BE": (12, 0),
}


def _iban(rng: random.Random, sep: str) -> str:
    country = rng.choice(sorted(BBAN))
    length, letters = BBAN[country]
    bban = "".join(rng.choices(string.ascii_uppercase, k=letters)) + "".join(
        rng.choices(string.digits, k=length - letters)
    )
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    iban = f"{country}{check:02d}{bban}"
    return sep.join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _valid_phone(rng: random.Random, region: str, make: Callable[[], str]) -> str:
    import phonenumbers

    while True:
        number = make()
        if phonenumbers.is_valid_number(phonenumbers.parse(number, region)):
            return number


def _phone_gb(rng: random.Random) -> str:
    def make() -> str:
        area, local = rng.choice([("020", "7946 0{}"), ("0161", "496 0{}"), ("0113", "496 0{}"), ("0117", "496 0{}")])
        return f"{area} " + local.format("".join(rng.choices(string.digits, k=3)))

    return _valid_phone(rng, "GB", make)


def _phone_us(rng: random.Random) -> str:
    def make() -> str:
        area = rng.choice(["202", "212", "312", "415", "617", "303"])
        line = "01" + "".join(rng.choices(string.digits, k=2))
        return rng.choice([f"({area}) 555-{line}", f"{area}-555-{line}", f"{area}.555.{line}"])

    return _valid_phone(rng, "US", make)


def _phone_de(rng: random.Random) -> str:
    def make() -> str:
        area = rng.choice(["030", "089", "040", "0221", "0151", "0170"])
        return f"{area} " + "".join(rng.choices(string.digits, k=rng.choice([7, 8])))

    return _valid_phone(rng, "DE", make)


def _phone_e164(rng: random.Random) -> str:
    def make() -> str:
        return rng.choice(
            [
                "+44 20 7946 0" + "".join(rng.choices(string.digits, k=3)),
                "+1 415 555 01" + "".join(rng.choices(string.digits, k=2)),
                "+49 30 " + "".join(rng.choices(string.digits, k=8)),
                "+33 1 23 45 67 " + "".join(rng.choices(string.digits, k=2)),
                "+4420794600" + "".join(rng.choices(string.digits, k=2)),
            ]
        )

    return _valid_phone(rng, "ZZ", make)


def _ssn(rng: random.Random) -> str:
    while True:
        area = rng.randint(1, 899)
        if area != 666:
            break
    number = f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
    return number if len(set(number.replace("-", ""))) > 1 and number != "123-45-6789" else _ssn(rng)


NAMES = ["john", "jane", "maria", "li", "omar", "sven", "aiko", "priya"]
SURNAMES = ["doe", "smith", "garcia", "wang", "haddad", "berg", "tanaka", "patel"]
DOMAINS = ["gmail.com", "example.org", "mail.co.uk", "company.de", "outlook.com", "web.fr"]


def _email(rng: random.Random) -> str:
    return f"{rng.choice(NAMES)}.{rng.choice(SURNAMES)}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"


def _email_obfuscated(rng: random.Random) -> str:
    name, surname = rng.choice(NAMES), rng.choice(SURNAMES)
    domain = rng.choice(DOMAINS).split(".")
    at, dot = rng.choice(
        [(" at ", " dot "), (" [at] ", " [dot] "), ("(at)", "(dot)"), (" {at} ", "."), (" AT ", " DOT ")]
    )
    return f"{name}{dot}{surname}{at}{dot.join(domain)}"


def _ipv4(rng: random.Random) -> str:
    return ".".join(str(rng.randint(1, 254)) for _ in range(4))


def _ipv6(rng: random.Random) -> str:
    groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
    return rng.choice([":".join(groups), ":".join(groups[:3]) + "::" + ":".join(groups[6:])])


def _aws_key(rng: random.Random) -> str:
    return rng.choice(["AKIA", "ASIA"]) + "".join(rng.choices(string.ascii_uppercase + string.digits, k=16))


def _private_key(rng: random.Random) -> str:
    kind = rng.choice(["RSA ", "EC ", "OPENSSH ", "DSA ", ""])
    return f"-----BEGIN {kind}PRIVATE KEY-----"


def _github_token(rng: random.Random) -> str:
    return rng.choice(["ghp_", "gho_", "ghs_"]) + "".join(rng.choices(string.ascii_letters + string.digits, k=36))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(rng: random.Random) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps({"sub": str(rng.randint(1, 10**9)), "name": rng.choice(NAMES)}).encode())
    return f"{header}.{payload}.{_b64url(rng.randbytes(32))}"


def _slack_token(rng: random.Random) -> str:
    digits = "".join(rng.choices(string.digits, k=12))
    return f"xoxb-{digits}-{digits[::-1]}-" + "".join(rng.choices(string.ascii_letters + string.digits, k=24))


#: planted kind -> (reported kind, value maker)
PLANTS: dict[str, tuple[str, Callable[[random.Random], str]]] = {
    "card_spaces": ("card_number", lambda rng: _card(rng, " ")),
    "card_dots": ("card_number", lambda rng: _card(rng, ".")),
    "card_dashes": ("card_number", lambda rng: _card(rng, "-")),
    "iban_spaces": ("iban", lambda rng: _iban(rng, " ")),
    "iban_dashes": ("iban", lambda rng: _iban(rng, "-")),
    "iban_plain": ("iban", lambda rng: _iban(rng, "")),
    "phone_gb": ("phone", _phone_gb),
    "phone_us": ("phone", _phone_us),
    "phone_de": ("phone", _phone_de),
    "phone_e164": ("phone", _phone_e164),
    "ssn": ("ssn", _ssn),
    "email": ("email", _email),
    "email_obfuscated": ("email", _email_obfuscated),
    "ipv4": ("ip_address", _ipv4),
    "ipv6": ("ip_address", _ipv6),
    "aws_key": ("secret", _aws_key),
    "private_key": ("secret", _private_key),
    "github_token": ("secret", _github_token),
    "jwt": ("secret", _jwt),
    "slack_token": ("secret", _slack_token),
}


def planted(seed: int = 7, per_kind: int = PER_KIND) -> Iterator[Sample]:
    """``per_kind`` samples of every planted kind, in a ticket sentence, reproducibly."""
    rng = random.Random(seed)
    for plant, (kind, make) in PLANTS.items():
        for _ in range(per_kind):
            value = make(rng)
            before, after = rng.choice(TEMPLATES).split("{}")
            yield Sample(plant, kind, before + value + after, len(before), value)
