"""Company names reduced to what tells firms apart, so "Acme Pharma, Inc." and "ACME PHARMA INC"
are found to be the same firm: by the duplicate finder and by the registry's firm grouping."""

import re
import unicodedata

# Legal forms, as words once punctuation is gone ("S.A." → "s a" → "sa" is handled by joining
# single letters first). Only trailing ones are dropped: "Co" inside a name is part of it.
LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "plc",
        "gmbh",
        "ag",
        "kg",
        "co",
        "company",
        "corp",
        "corporation",
        "sa",
        "sl",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "ab",
        "as",
        "oy",
        "kk",
        "pvt",
        "pte",
        "pty",
        "private",
    }
)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalize_name(name: str) -> str:
    """`name` in lower case, without accents, punctuation or trailing legal forms ('' if none).

    "Acme Pharma, Inc." → "acme pharma"; "Laboratorios Ejemplo S.L." → "laboratorios ejemplo";
    "Müller GmbH & Co. KG" → "muller". A name that is nothing but a legal form keeps it.
    """
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " ")
    words = _join_initials(_NON_WORD.sub(" ", text).split())
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


def _join_initials(words: list[str]) -> list[str]:
    """Runs of single letters written with dots become one word: "s a" → "sa" (S.A.)."""
    joined: list[str] = []
    run = ""
    for word in words:
        if len(word) == 1 and word.isalpha():
            run += word
            continue
        if run:
            joined.append(run)
            run = ""
        joined.append(word)
    if run:
        joined.append(run)
    return joined
