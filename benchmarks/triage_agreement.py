"""How often do two careful readers give a mention the same label? 600 training items of the
shipped corpus (never its held-back fifth), picked at random, were labelled again by two
readers each, working alone from triage/corpus/GUIDE.md with the text (and the author's
followers and name) but not the corpus label. This prints how often each reader agrees with
the corpus label and with the other reader, for the route, the service and safeguarding, with
Cohen's kappa for the route; it is the ceiling a classifier trained on such labels can be
expected to reach.

    python benchmarks/triage_agreement.py
"""
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from triage import learned  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
READINGS = ROOT / "triage" / "evaluation" / "second_readings"


def kappa(a: list[str], b: list[str]) -> float:
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return (observed - expected) / (1 - expected)


def main() -> None:
    corpus = {item["text"]: item for item in learned.load_corpus(sorted((ROOT / "triage" / "corpus").glob("*.jsonl"))).items}
    readers = {}
    for path in sorted(READINGS.glob("reader_*.jsonl")):
        readers[path.stem] = {row["text"]: row for row in map(json.loads, path.read_text().splitlines())}
    texts = sorted(set.intersection(*(set(r) for r in readers.values())) & set(corpus))
    assert not any(learned.held_back(t) for t in texts), "a reading of a held-back item"
    print(f"{len(texts)} training items, each read by {len(readers)} readers besides the corpus label")
    labels = {"corpus": {t: corpus[t] for t in texts}, **readers}

    def of(who: str, key: str) -> list:
        return [labels[who][t].get(key) or ("" if key == "service" else False) for t in texts]

    names = list(labels)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    print(f"{'':<22} {'route':>7} {'kappa':>7} {'service':>8} {'safeguarding':>13}")
    for a, b in pairs:
        route = sum(x == y for x, y in zip(of(a, "route"), of(b, "route"), strict=True)) / len(texts)
        service = sum(x == y for x, y in zip(of(a, "service"), of(b, "service"), strict=True)) / len(texts)
        sg = sum(x == y for x, y in zip(of(a, "safeguarding"), of(b, "safeguarding"), strict=True)) / len(texts)
        print(f"{a + ' / ' + b:<22} {route:>7.3f} {kappa(of(a, 'route'), of(b, 'route')):>7.3f} "
              f"{service:>8.3f} {sg:>13.3f}")
    all_three = sum(len({labels[w][t]["route"] for w in names}) == 1 for t in texts) / len(texts)
    print(f"all {len(names)} give the same route: {all_three:.3f}")


if __name__ == "__main__":
    main()
