"""Figures of the Triage quality page from (what was said, what was right) pairs: precision,
recall and F1 per class, accuracy, macro-F1 and the confusion matrix. Plain functions, no
database, the same arithmetic as scikit-learn's classification_report."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence


def _ratio(top: int, bottom: int) -> float | None:
    return top / bottom if bottom else None


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def figures(pairs: Iterable[tuple[str, str]], classes: Sequence[str] = ()) -> dict:
    """pairs: (predicted, actual). classes: the order of the rows (others found are added after).
    Returns n, accuracy, macro_f1 (over classes that occur), per class (name, precision, recall,
    f1, support: how many were really of the class) and the confusion matrix (rows: actual,
    columns: predicted)."""
    pairs = [(str(p), str(a)) for p, a in pairs]
    found = [c for c in classes]
    for p, a in pairs:
        for c in (a, p):
            if c not in found:
                found.append(c)
    counts = Counter(pairs)
    per_class = []
    for c in found:
        tp = counts[(c, c)]
        predicted = sum(n for (p, _), n in counts.items() if p == c)
        actual = sum(n for (_, a), n in counts.items() if a == c)
        precision, recall = _ratio(tp, predicted), _ratio(tp, actual)
        per_class.append({"name": c, "precision": precision, "recall": recall, "f1": _f1(precision, recall),
                          "support": actual, "predicted": predicted})
    scored = [row["f1"] if row["f1"] is not None else 0.0 for row in per_class if row["support"] or row["predicted"]]
    return {
        "n": len(pairs),
        "accuracy": _ratio(sum(1 for p, a in pairs if p == a), len(pairs)),
        "macro_f1": sum(scored) / len(scored) if scored else None,
        "classes": per_class,
        "labels": found,
        "confusion": [[counts[(p, a)] for p in found] for a in found],
    }


def binary(pairs: Iterable[tuple[bool, bool]]) -> dict:
    """(predicted, actual) for a yes/no signal such as safeguarding: precision, recall and F1 of "yes"."""
    pairs = [(bool(p), bool(a)) for p, a in pairs]
    tp = sum(1 for p, a in pairs if p and a)
    precision = _ratio(tp, sum(1 for p, _ in pairs if p))
    recall = _ratio(tp, sum(1 for _, a in pairs if a))
    return {"n": len(pairs), "precision": precision, "recall": recall, "f1": _f1(precision, recall),
            "support": sum(1 for _, a in pairs if a)}
