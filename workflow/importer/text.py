"""Text helpers of the import: errors, folding, normalising, the light markup of the seeds."""
from __future__ import annotations

import re
import unicodedata


MAX_TEXT_CHARS = 300_000          # a dispatch is a few pages; an appendix may be long
MAX_DOCX_UNCOMPRESSED = 60 * 1024 * 1024  # refuse zip bombs before python-docx inflates them
COMMUNE_FAN_OUT = "communes"
DEPARTMENT_FAN_OUT = "departments"   # "các sở, ban, ngành": one task per department


# ----------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------


class ImportRefused(ValueError):
    """The input cannot be imported; ``str(e)`` is Vietnamese, ``status`` the HTTP answer."""

    status = 422

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotADispatch(ImportRefused):
    status = 422


class UnreadableFile(ImportRefused):
    status = 422


class TooLarge(ImportRefused):
    status = 413


# ----------------------------------------------------------------------------------------
# Text helpers
# ----------------------------------------------------------------------------------------


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0]
    return base.lower() if len(base.lower()) == 1 else ch


def fold_keep(text: str) -> str:
    """Lower case without diacritics, one character for one: positions stay the same, so a
    match found in the folded text can be cut from the original."""
    return "".join(_fold_char(ch) for ch in text)


def _ws(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _strip_item_punct(text: str) -> str:
    """A list entry without its bullet and the punctuation that separates entries."""
    text = re.sub(r"^[\-–—•+*]\s*", "", text.strip())
    return re.sub(r"[\s,;.]+$", "", text).strip()


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _tidy_sentence(text: str) -> str:
    """Spaces before punctuation removed, runs collapsed, the closing full stop dropped."""
    text = _ws(text)
    text = re.sub(r"\s+([,.;:!?)])", r"\1", text)
    text = re.sub(r"([(“])\s+", r"\1", text)
    text = re.sub(r"(?:,\s*)+,", ",", text)
    return re.sub(r"[\s,;:.]+$", "", text).strip()


_CONTROL = {c: None for c in range(32) if chr(c) not in "\t\n"} | {127: None}


def normalise_source(text: str) -> str:
    """NFC, Unix line ends, no control characters, no trailing spaces."""
    text = unicodedata.normalize("NFC", text or "")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u200b", "")
    text = text.replace("\f", "\n").replace("\v", "\n").translate(_CONTROL)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _clean_line(line: str) -> str:
    """A line without the light markup of the seeds: **bold**, ~~strike~~, *italic*, and the
    signature scribbles after the last sentence ("… thực hiện. *sh*", "./. *Bala*")."""
    line = line.replace("**", "").replace("~~", "").replace("__", "")
    line = re.sub(r"(?<=[.;:!?/])\s+\*[^\s*]{1,12}\*\s*$", "", line)
    if line.strip() == "*":
        return "*"
    line = re.sub(r"\*([^*\n]+)\*", r"\1", line)
    line = re.sub(r"\s*\*+\s*$", "", line)
    line = re.sub(r"^(\s*)\*+\s*", r"\1", line)
    return line.rstrip()
