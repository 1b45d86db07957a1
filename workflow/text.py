"""Text helpers for Vietnamese: NFC normalisation, diacritic folding, slugs."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_APOSTROPHES = "'’‘ʼ`´"


def nfc(text: str | None) -> str | None:
    """Normalise to NFC (some Vietnamese keyboards produce NFD) and strip."""
    if text is None:
        return None
    return unicodedata.normalize("NFC", text).strip()


def normalise_username(text: str | None) -> str:
    """The one form of a user name, for creating accounts, finding them at sign-in and keying
    the per-user sign-in limit: NFC, control and format characters removed (``office\x01``,
    ``off\u200bice``), outer spaces stripped, case folded."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    return text.strip().casefold()


def fold(text: str | None) -> str:
    """Lower case without diacritics, ``đ`` → ``d``: "Đô thị" → "do thi"."""
    if not text:
        return ""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", text.lower()).strip()


def slugify(name: str) -> str:
    """The unit code rule: ASCII, lower case, words joined by ``-``.

    "Sở Tài chính" → "so-tai-chinh"; "Phường Lâm Viên - Đà Lạt" →
    "phuong-lam-vien-da-lat"; apostrophes join ("Phường B’Lao" → "phuong-blao").
    """
    folded = fold(name)
    for ch in _APOSTROPHES:
        folded = folded.replace(ch, "")
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def search_words(query: str | None) -> list[str]:
    """Folded words of a search query."""
    return [w for w in re.split(r"[^a-z0-9]+", fold(query or "")) if w]


def search_index(text: str | None) -> str:
    """The folded words of ``text`` between single spaces (" de an do thi "), so that a
    query word matches whole words only: ``contains(f" {word} ")``."""
    words = search_words(text)
    return f" {' '.join(words)} " if words else ""


# --- Vietnamese collation ---------------------------------------------------------------
# The alphabet order (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y, with the
# foreign letters f j w z at their Latin places); tones break ties after the letters, in the
# order of CLDR's Vietnamese collation: none, huyền, hỏi, ngã, sắc, nặng; lower case first.
_VI_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_VI_RANK = {ch: index for index, ch in enumerate(_VI_ALPHABET)}
_VI_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_VI_SHAPES = {
    ("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô", ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư",
}


@lru_cache(maxsize=8192)  # unit names are sorted on every dashboard; the key is a pure function
def vi_sort_key(text: str | None) -> tuple:
    """A sort key that orders Vietnamese names as a Vietnamese reader expects.

    ``sorted(names, key=vi_sort_key)`` puts "Đà Lạt" after "Di Linh", "Ơn" after
    "Ông" and before "Pa", and "ma mà mả mã má mạ" in that order (letters first,
    then tones, then case). Spaces and punctuation come before digits, digits
    before letters.
    """
    decomposed = unicodedata.normalize("NFD", text or "")
    primary: list[tuple[int, int]] = []
    tones: list[int] = []
    cases: list[int] = []
    index, length = 0, len(decomposed)
    while index < length:
        ch = decomposed[index]
        index += 1
        marks = []
        while index < length and unicodedata.category(decomposed[index]) == "Mn":
            marks.append(decomposed[index])
            index += 1
        if unicodedata.category(ch) == "Mn":  # a stray mark: ignore it
            continue
        lower = ch.lower()
        letter, tone = lower, 0
        for mark in marks:
            letter = _VI_SHAPES.get((letter, mark), letter)
            tone = tone or _VI_TONES.get(mark, 0)
        if letter in _VI_RANK:
            primary.append((3, _VI_RANK[letter]))
        elif ch.isdigit():
            primary.append((2, unicodedata.digit(ch, 0)))
        elif ch.isalpha():
            primary.append((4, ord(letter)))
        else:
            primary.append((1, 0) if ch.isspace() else (1, ord(ch)))
        tones.append(tone)
        cases.append(0 if ch == lower else 1)
    return tuple(primary), tuple(tones), tuple(cases)


def vi_sorted(items, key=None) -> list:
    """``sorted`` with Vietnamese order; ``key`` picks the text from each item."""
    pick = key or (lambda item: item)
    return sorted(items, key=lambda item: vi_sort_key(pick(item)))
