"""Benchmark: how much of a dispatch the import reads right (issue 12).

Every document of ``tests/data/dispatches/{corpus,heldout}/*.txt`` is read by the importer
(``workflow.importer.parse_dispatch`` + ``draft_json``, no database) against the seed unit
registry (``workflow/data/units.yaml`` + ``communes.txt``) and the holiday table, and its
draft is compared with the expected draft written beside it (``<name>.yaml``). Documents
marked ``docx: true`` are also read from a Word file built from their text (tab-separated
rows become a Word table), so Word tables are measured too.

An expected draft may list ``not_taken: [item, …]``: paragraphs that must not become tasks
(e.g. a deadline with no date) but must be listed; one missing from both ``not_taken`` and
``directives`` counts as a silent drop.

Per document and in total it prints: tasks found / expected / extra, and how many of the
found tasks have the right lead unit, coordinating units, deadline instant, recurrence rule
and fan-out; unknown units flagged in ``unmatched``; silent drops (an expected task neither
found nor listed in ``not_taken``/``directives``). A fan-out counts as one task (its
expansion to every commune or department is checked as the fan-out field).

The held-out documents were written before any reading rule was tuned, and are reported
separately.

Blind sets (``blind3``, ``blind4`` …: any other folder beside corpus and heldout) are measured
too, each reported separately.

Run: .venv/bin/python bench/import_accuracy.py [--no-docx] [--verbose] [--markdown] [--set NAME]
"""
from __future__ import annotations

import argparse
import io
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DISPATCHES = ROOT / "tests" / "data" / "dispatches"
SETS = ("corpus", "heldout")
ALL_SETS = ("corpus", "heldout", "blind")


def all_sets() -> list[str]:
    """The sets to measure: corpus, heldout, then every other folder of ``DISPATCHES`` (the
    blind sets blind3, blind4 …, each written and committed before it was first measured)."""
    extra = sorted(p.name for p in DISPATCHES.iterdir() if p.is_dir() and p.name not in ALL_SETS)
    return list(ALL_SETS) + extra
FIELDS = ("lead", "coordinating", "deadline", "recurrence", "fan_out")


# --- Inputs ---------------------------------------------------------------------------------------

def seed_units() -> list[SimpleNamespace]:
    """The units the seed loads (units.yaml + communes.txt), as the importer's registry reads them."""
    from workflow.text import slugify

    data = ROOT / "workflow" / "data"
    rows = yaml.safe_load((data / "units.yaml").read_text(encoding="utf-8"))
    units = [SimpleNamespace(code=r["code"], name=unicodedata.normalize("NFC", r["name"]), kind=r["kind"],
                             aliases=[unicodedata.normalize("NFC", a) for a in r.get("aliases", [])], active=True)
             for r in rows]
    for line in (data / "communes.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            name = unicodedata.normalize("NFC", line.strip())
            units.append(SimpleNamespace(code=slugify(name), name=name, kind="commune", aliases=[], active=True))
    return units


def holidays() -> list:
    from workflow.deadlines import load_holidays

    return [h["date"] for h in load_holidays()]


def documents(which: str) -> list[Path]:
    return sorted((DISPATCHES / which).glob("*.txt"))


def expected_of(path: Path) -> dict:
    return yaml.safe_load(path.with_suffix(".yaml").read_text(encoding="utf-8"))


def text_to_docx(text: str) -> bytes:
    """A Word document of ``text``: each line a paragraph, runs of tab-separated lines a table."""
    from docx import Document

    document = Document()
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if "\t" in lines[i]:
            rows = []
            while i < len(lines) and "\t" in lines[i]:
                rows.append(lines[i].split("\t"))
                i += 1
            width = max(len(r) for r in rows)
            table = document.add_table(rows=len(rows), cols=width)
            for r, cells in enumerate(rows):
                for c in range(width):
                    table.cell(r, c).text = cells[c] if c < len(cells) else ""
            continue
        document.add_paragraph(lines[i])
        i += 1
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- Comparison -------------------------------------------------------------------------------------

def fold(text: str) -> str:
    from workflow.importer import fold_keep

    return re.sub(r"\s+", " ", fold_keep(unicodedata.normalize("NFC", text or ""))).strip(" ,.;:")


@dataclass
class Score:
    documents: int = 0
    expected: int = 0
    found: int = 0
    extra: int = 0
    right: dict = field(default_factory=lambda: {f: 0 for f in FIELDS})
    unknown_expected: int = 0
    unknown_flagged: int = 0
    silent_drops: int = 0
    errors: list = field(default_factory=list)

    def add(self, other: "Score") -> None:
        self.documents += other.documents
        for name in ("expected", "found", "extra", "unknown_expected", "unknown_flagged", "silent_drops"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for f in FIELDS:
            self.right[f] += other.right[f]
        self.errors.extend(other.errors)

    @property
    def fields_right(self) -> float:
        return sum(self.right.values()) / (len(FIELDS) * self.found) if self.found else 1.0

    @property
    def found_ratio(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def flagged_ratio(self) -> float:
        return self.unknown_flagged / self.unknown_expected if self.unknown_expected else 1.0


def _collapse(draft: dict) -> list[dict]:
    """The draft's tasks with each fan-out as one entry carrying the codes it expanded to."""
    out, groups = [], {}
    for task in draft["tasks"]:
        if task.get("fan_out"):
            key = (task["group"], task["fan_out"])
            if key in groups:
                groups[key]["fan_codes"].add((task.get("lead_unit") or {}).get("code"))
                continue
            entry = dict(task, fan_codes={(task.get("lead_unit") or {}).get("code")})
            groups[key] = entry
            out.append(entry)
        else:
            out.append(task)
    return out


def _lead_key(task: dict) -> str:
    if task.get("fan_out"):
        return "*" + task["fan_out"]
    lead = task.get("lead_unit") or {}
    return lead.get("code") or "?" + fold(lead.get("text") or "")


def _expected_lead_key(spec: dict) -> str:
    if spec.get("fan_out"):
        return "*" + spec["fan_out"]
    return spec.get("lead") or "?" + fold(spec.get("lead_text") or "")


def _unit_key(entry) -> str:
    if isinstance(entry, dict):
        return entry.get("code") or "?" + fold(entry.get("text") or "")
    entry = str(entry)
    return "?" + fold(entry[1:]) if entry.startswith("?") else entry


def _same_unknown(a: str, b: str) -> bool:
    """Two unknown names (folded) designate the same unit: equal, or the shorter is the longer
    cut at a comma ("Báo và Phát thanh" for "Báo và Phát thanh, Truyền hình Lâm Đồng")."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short.split()) >= 2 and long_.startswith(short) and long_[len(short):].startswith(",")


def _keys_equal(got: set, want: set) -> bool:
    if got == want:
        return True
    known_got = {k for k in got if not k.startswith("?")}
    known_want = {k for k in want if not k.startswith("?")}
    unknown_got = sorted(k[1:] for k in got if k.startswith("?"))
    unknown_want = sorted(k[1:] for k in want if k.startswith("?"))
    return known_got == known_want and len(unknown_got) == len(unknown_want) and all(
        _same_unknown(a, b) for a, b in zip(unknown_got, unknown_want))


def _lead_equal(got: str, want: str) -> bool:
    if got.startswith("?") and want.startswith("?"):
        return _same_unknown(got[1:], want[1:])
    return got == want


def score_draft(draft: dict, expected: dict, fan_sizes: dict, *, name: str = "") -> Score:
    score = Score(documents=1, expected=len(expected.get("tasks") or []))
    found = _collapse(draft)
    used = [False] * len(found)
    not_taken_items = {str(n.get("item")) for n in draft.get("not_taken", [])} | {
        str(d.get("item")) for d in draft.get("directives", [])}

    def pick(spec) -> int | None:
        want_lead, item = _expected_lead_key(spec), str(spec.get("item"))
        rules = (
            lambda t: str(t["item"]) == item and _lead_equal(_lead_key(t), want_lead),
            lambda t: _lead_equal(_lead_key(t), want_lead) and t.get("deadline") == spec.get("deadline"),
            lambda t: str(t["item"]) == item,
        )
        for rule in rules:
            for index, task in enumerate(found):
                if not used[index] and rule(task):
                    return index
        return None

    for spec in expected.get("tasks") or []:
        index = pick(spec)
        if index is None:
            if str(spec.get("item")) not in not_taken_items:
                score.silent_drops += 1
                score.errors.append(f"{name}: task {spec.get('item')} {_expected_lead_key(spec)} dropped silently")
            else:
                score.errors.append(f"{name}: task {spec.get('item')} {_expected_lead_key(spec)} not taken")
            continue
        used[index] = True
        task = found[index]
        score.found += 1
        checks = {
            "lead": _lead_equal(_lead_key(task), _expected_lead_key(spec)),
            "coordinating": _keys_equal({_unit_key(c) for c in task.get("coordinating_units") or []},
                                        {_unit_key(c) for c in spec.get("coordinating") or []}),
            "deadline": task.get("deadline") == spec.get("deadline"),
            "recurrence": task.get("recurrence") == spec.get("recurrence"),
            "fan_out": (task.get("fan_out") == spec.get("fan_out")) and (
                not spec.get("fan_out") or len(task.get("fan_codes") or ()) == fan_sizes.get(spec["fan_out"])),
        }
        for f, ok in checks.items():
            score.right[f] += ok
            if not ok:
                got = {"lead": _lead_key(task), "coordinating": [_unit_key(c) for c in task.get("coordinating_units")],
                       "deadline": task.get("deadline"), "recurrence": task.get("recurrence"),
                       "fan_out": (task.get("fan_out"), len(task.get("fan_codes") or ()))}[f]
                score.errors.append(f"{name}: task {spec.get('item')} {_expected_lead_key(spec)}: {f} is {got!r}")
    for item in expected.get("not_taken") or []:
        # An item the office expects listed (not a task: e.g. a deadline with no date) and that
        # is neither listed nor a directive is dropped silently.
        if str(item) not in not_taken_items:
            score.silent_drops += 1
            score.errors.append(f"{name}: item {item} expected in not_taken, not listed")
    for index, task in enumerate(found):
        if not used[index]:
            score.extra += 1
            score.errors.append(f"{name}: extra task {task['item']} {_lead_key(task)}")
    flagged = [fold(u["text"]) for u in draft.get("unmatched", [])]
    for text in expected.get("unmatched") or []:
        score.unknown_expected += 1
        want = fold(text)
        if any(f and (want in f or _same_unknown(f, want)) for f in flagged):
            score.unknown_flagged += 1
        else:
            score.errors.append(f"{name}: unknown unit {text!r} not flagged (flagged: {flagged})")
    return score


# --- Running ------------------------------------------------------------------------------------------

def read(path: Path, registry, holiday_dates, *, as_docx: bool = False) -> dict:
    from workflow import importer

    text = path.read_text(encoding="utf-8")
    if as_docx:
        text = importer.docx_to_text(text_to_docx(text))
    result = importer.parse_dispatch(text, registry, holidays=holiday_dates)
    return importer.draft_json(result, registry, expand_fan_out=True)


def run(which: str, *, with_docx: bool = True) -> tuple[list[tuple[str, Score]], Score]:
    from workflow import importer

    units = seed_units()
    registry = importer.Registry(units)
    holiday_dates = holidays()
    fan_sizes = importer.fan_out_sizes(registry)
    rows, total = [], Score(documents=0)
    for path in documents(which):
        expected = expected_of(path)
        variants = [(path.name, False)]
        if with_docx and expected.get("docx"):
            variants.append((path.stem + ".docx", True))
        for label, as_docx in variants:
            try:
                draft = read(path, registry, holiday_dates, as_docx=as_docx)
            except importer.ImportRefused as exc:  # counted as nothing read
                draft = {"tasks": [], "unmatched": [], "not_taken": [], "directives": []}
                print(f"{label}: refused: {exc}", file=sys.stderr)
            score = score_draft(draft, expected, fan_sizes, name=label)
            rows.append((label, score))
            total.add(score)
    return rows, total


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def table(rows, total, *, markdown: bool = False) -> str:
    head = ["document", "found/expected", "extra", "lead", "coord.", "deadline", "recurrence", "fan-out",
            "unknown flagged", "silent drops"]

    def line(label, s: Score):
        return [label, f"{s.found}/{s.expected}", str(s.extra), *(f"{s.right[f]}/{s.found}" for f in FIELDS),
                f"{s.unknown_flagged}/{s.unknown_expected}", str(s.silent_drops)]

    body = [line(label, s) for label, s in rows]
    body.append(line(f"TOTAL ({total.documents} documents)", total))
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in body]
        return "\n".join(out)
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(fmt.format(*r) for r in [head, *body])


def summary(total: Score) -> str:
    return (f"tasks found {_pct(total.found_ratio)} ({total.found}/{total.expected}), "
            f"fields right {_pct(total.fields_right)}, extra {total.extra}, "
            f"unknown units flagged {_pct(total.flagged_ratio)} ({total.unknown_flagged}/{total.unknown_expected}), "
            f"silent drops {total.silent_drops}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-docx", action="store_true", help="skip the Word versions of the documents")
    parser.add_argument("--verbose", action="store_true", help="print every difference")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--set", action="append", dest="sets", metavar="NAME",
                        help="measure only this set (a folder of tests/data/dispatches); repeatable")
    args = parser.parse_args(argv)
    for which in args.sets or all_sets():
        if not documents(which):
            continue
        rows, total = run(which, with_docx=not args.no_docx)
        print(f"\n== {which} ==")
        print(table(rows, total, markdown=args.markdown))
        print(summary(total))
        if args.verbose:
            for error in total.errors:
                print("  -", error)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
