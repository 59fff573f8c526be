"""Personal data and secrets in a text, found offline by maintained detectors.

- Presidio's pattern recognizers (``presidio-analyzer``), called directly: no NLP engine, so no
  language model is ever loaded or downloaded (with no model, the engine's context scoring
  adds nothing). Card numbers (Luhn-checked; spaces, dashes or dots between groups), IBANs
  (checksum; any spacing), US social security numbers, e-mail addresses and IP addresses.
  Its phone recognizer (``phonenumbers``) reads national numbers of the regions the data spec
  declares (``pii.regions``), and ``+<country>`` numbers from anywhere.
- E-mail addresses written to slip past filters ("jane dot doe at example dot com",
  "jane [at] example.com") are rewritten and checked by the same e-mail recognizer.
- ``detect-secrets``' plugins find keys and tokens (AWS, GitHub, GitLab, Slack, Stripe, JWTs,
  private keys, ...); its Shannon entropy flags other long random tokens.

Cheap regular expressions pick the texts that could hold any of these, and the recognizers
worth calling on each; Presidio is loaded on the first text that needs it.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from functools import cache
from typing import Any, NamedTuple

#: kinds reported, and the Presidio entity each comes from
ENTITIES = {
    "CREDIT_CARD": "card_number",
    "IBAN_CODE": "iban",
    "US_SSN": "ssn",
    "EMAIL_ADDRESS": "email",
    "IP_ADDRESS": "ip_address",
    "PHONE_NUMBER": "phone",
}
KINDS = ("card_number", "email", "iban", "ip_address", "phone", "secret", "ssn")
#: Presidio scores below this are its "very weak" patterns (a bare 9-digit number as an SSN)
MIN_SCORE = 0.4
#: long random tokens at or above this Shannon entropy (bits per character) count as secrets
ENTROPY_LIMIT = 4.0
#: installed optional libraries that Presidio and spaCy (through thinc) import only to offer
#: model-based engines this scan never uses; hidden while they load, they keep the gate light
UNUSED_HEAVY = ("torch", "transformers", "tensorflow", "cupy", "jax", "mxnet")

# What a text must hold before a recognizer is called: seven digits with little between them
# (cards, SSNs, phones), an IBAN's country code and check digits, an '@', an IPv4 or IPv6 shape.
_DIGITS = re.compile(r"\d(?:\W{0,2}\d){6}")
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}[ -]?[A-Za-z0-9]{4}")
_AT_SIGN = re.compile("@")
_IP = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d|[0-9A-Fa-f]{0,4}::?[0-9A-Fa-f]{1,4}:")
_TOKEN = re.compile(r"(?<![A-Za-z0-9_+/=-])[A-Za-z0-9_+/=-]{20,}")
_AT = r"(?:\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)"
_DOT = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+|\.)"
_OBFUSCATED_EMAIL = re.compile(rf"(?i)\b[a-z0-9_%+-]+(?:{_DOT}[a-z0-9_%+-]+)*{_AT}[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)+\b")
_SPELLED = re.compile(r"(?i)[\[({<]\s*(?:at|dot)\s*[\])}>]")
_SPELLED_AT = re.compile(r"(?i)\sat\s")
_SPELLED_DOT = re.compile(r"(?i)\sdot\s")


class Found(NamedTuple):
    """One finding: its kind and where it is in the text."""

    kind: str
    start: int
    end: int
    text: str


@contextlib.contextmanager
def _hidden(modules: tuple[str, ...]) -> Iterator[None]:
    """Make ``import <module>`` fail for modules not yet loaded (the import system's own rule for
    a ``None`` entry in ``sys.modules``), and restore them afterwards."""
    hidden = [name for name in modules if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


@cache
def _recognizers(regions: tuple[str, ...]) -> tuple[Any, ...]:
    """Presidio's recognizers for the kinds reported, in the order of ``GATES``."""
    with _hidden(UNUSED_HEAVY):
        import tldextract
        from presidio_analyzer import Pattern
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            EmailRecognizer,
            IbanRecognizer,
            IpRecognizer,
            PhoneRecognizer,
            UsSsnRecognizer,
        )

    class OfflineEmail(EmailRecognizer):
        """Checks the domain against the public suffix list bundled with tldextract, never the network."""

        suffixes = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

        def validate_result(self, pattern_text: str) -> bool:
            return self.suffixes(pattern_text).fqdn != ""

    class AnyCaseIban(IbanRecognizer):
        """IBANs are written in either case; the checksum is computed on capitals."""

        def validate_result(self, pattern_text: str) -> bool:
            return super().validate_result(pattern_text.upper())

    # Card numbers: 13-19 digits, in groups of four (or Amex/Diners 4-6-5/4-6-4) split by one
    # repeated separator, or none; the recognizer's Luhn check decides.
    card = Pattern(
        "card number, any separator",
        r"\b(?:\d{4}([ .-]?)\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?|3\d{3}([ .-]?)\d{6}\2\d{4,5}|\d{13,19})\b",
        0.3,
    )
    # A lower-case IBAN is matched only unseparated: ignoring case, the separated pattern would
    # read the next word as one more group. (The recognizer reports the pattern's groups.)
    lower_iban = Pattern("IBAN, any case, unseparated", r"(?<![A-Z0-9])([A-Z]{2}\d{2}[A-Z0-9]{11,30})(?![A-Z0-9])", 0.5)
    return (
        CreditCardRecognizer(patterns=[card], replacement_pairs=[("-", ""), (" ", ""), (".", "")]),
        AnyCaseIban(),
        AnyCaseIban(patterns=[lower_iban], regex_flags=re.DOTALL | re.MULTILINE | re.IGNORECASE),
        UsSsnRecognizer(),
        OfflineEmail(),
        IpRecognizer(),
        PhoneRecognizer(supported_regions=regions),
    )


#: the pattern a text must match before each of ``_recognizers`` is worth calling
GATES = (_DIGITS, _IBAN, _IBAN, _DIGITS, _AT_SIGN, _IP, _DIGITS)
EMAIL = GATES.index(_AT_SIGN)


@cache
def _secret_plugins() -> tuple:
    from detect_secrets.plugins import (
        artifactory,
        aws,
        azure_storage_key,
        discord,
        github_token,
        gitlab_token,
        jwt,
        mailchimp,
        npm,
        openai,
        private_key,
        pypi_token,
        sendgrid,
        slack,
        square_oauth,
        stripe,
        telegram_token,
        twilio,
    )
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString

    plugins = (
        aws.AWSKeyDetector(),
        github_token.GitHubTokenDetector(),
        gitlab_token.GitLabTokenDetector(),
        slack.SlackDetector(),
        stripe.StripeDetector(),
        openai.OpenAIDetector(),
        pypi_token.PypiTokenDetector(),
        npm.NpmDetector(),
        sendgrid.SendGridDetector(),
        twilio.TwilioKeyDetector(),
        discord.DiscordBotTokenDetector(),
        telegram_token.TelegramBotTokenDetector(),
        mailchimp.MailchimpDetector(),
        azure_storage_key.AzureStorageKeyDetector(),
        artifactory.ArtifactoryDetector(),
        square_oauth.SquareOAuthDetector(),
        private_key.PrivateKeyDetector(),
        jwt.JwtTokenDetector(),
    )
    return plugins, Base64HighEntropyString()


class Detector:
    """Finds personal data and secrets; national phone numbers are read for ``regions``."""

    def __init__(self, regions: list[str] | tuple[str, ...]):
        self.regions = tuple(regions)

    def find(self, text: str) -> list[Found]:
        """Each finding in ``text``, in text order, none overlapping (the surest wins)."""
        found: list[tuple[int, int, float, str]] = []
        if "PRIVATE KEY" in text or max(map(len, text.split()), default=0) >= 20:
            found += self._secrets(text)
        # counting is done in C; most texts stop here
        digits = sum(map(text.count, "0123456789"))
        if digits >= 7 or (digits >= 4 and ("." in text or ":" in text)) or "@" in text:
            wanted = [n for n, gate in enumerate(GATES) if gate.search(text)]
            recognizers = _recognizers(self.regions) if wanted else ()  # loads Presidio on first use
            for n in wanted:
                for result in recognizers[n].analyze(text, recognizers[n].supported_entities, None):
                    if result.score >= MIN_SCORE:
                        found.append((result.start, result.end, result.score, ENTITIES[result.entity_type]))
        if "dot" in text.casefold() or _SPELLED.search(text):
            found += self._obfuscated_emails(text)
        taken: list[tuple[int, int, float, str]] = []
        for item in sorted(found, key=lambda f: (-f[2], f[0] - f[1], f[0])):
            if all(item[1] <= s or e <= item[0] for s, e, _, _ in taken):
                taken.append(item)
        return [Found(kind, start, end, text[start:end]) for start, end, _, kind in sorted(taken)]

    def _secrets(self, text: str) -> list[tuple[int, int, float, str]]:
        plugins, entropy = _secret_plugins()
        found = []
        for plugin in plugins:
            for regex in plugin.denylist:
                for m in regex.finditer(text):
                    if plugin.secret_type == "JSON Web Token" and not plugin.is_formally_valid(m.group()):
                        continue
                    found.append((m.start(), m.end(), 2.0, "secret"))
        for m in _TOKEN.finditer(text):
            token = m.group()
            mixed = any(c.isdigit() for c in token) and any(c.isalpha() for c in token)
            if mixed and entropy.calculate_shannon_entropy(token) >= ENTROPY_LIMIT:
                found.append((m.start(), m.end(), 1.5, "secret"))
        merged: list[tuple[int, int, float, str]] = []  # one secret per span (a JWT's parts, say)
        for start, end, score, kind in sorted(found):
            if merged and start <= merged[-1][1]:
                last = merged[-1]
                merged[-1] = (last[0], max(last[1], end), max(last[2], score), kind)
            else:
                merged.append((start, end, score, kind))
        return merged

    def _obfuscated_emails(self, text: str) -> list[tuple[int, int, float, str]]:
        found = []
        pos = 0
        while m := _OBFUSCATED_EMAIL.search(text, pos):
            value = m.group()
            spelled = _SPELLED.search(value) or (_SPELLED_AT.search(value) and _SPELLED_DOT.search(value))
            if spelled and self._is_email(value):
                found.append((m.start(), m.end(), 1.0, "email"))
                pos = m.end()
            else:  # the match may have started a word too early: try from the next word
                pos = m.start() + max(1, len(value.split(None, 1)[0]))
        return found

    def _is_email(self, obfuscated: str) -> bool:
        address = re.sub(r"(?i)\s*[\[({<]?\s*\bat\b\s*[\])}>]?\s*", "@", obfuscated, count=1)
        address = re.sub(r"(?i)\s*[\[({<]?\s*\bdot\b\s*[\])}>]?\s*", ".", address)
        address = re.sub(r"\s+", "", address)
        results = _recognizers(self.regions)[EMAIL].analyze(address, ["EMAIL_ADDRESS"], None)
        return any(r.start == 0 and r.end == len(address) and r.score >= MIN_SCORE for r in results)
