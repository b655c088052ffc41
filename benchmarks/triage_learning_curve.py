"""Does the classifier get better with more labelled mentions? 5-fold cross-validation on the
training part of the shipped corpus (never its held-back fifth): each fold's model is trained
on a quarter, a half, three quarters and all of the other folds' items, and every fold's items
are read by each, so the rows compare like with like.

    python benchmarks/triage_learning_curve.py [--seed 7]
"""
import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from triage import learned  # noqa: E402

SHARES = (0.25, 0.5, 0.75, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7, help="the seed of the folds and of the order of items")
    seed = parser.parse_args().seed
    corpus = sorted((Path(__file__).resolve().parent.parent / "triage" / "corpus").glob("*.jsonl"))
    items, _held = learned.split(learned.load_corpus(corpus).items)
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    folds = [order[k::5] for k in range(5)]
    print(f"{len(items)} training items, 5-fold cross-validation, seed {seed}")
    print(f"{'trained on':>11} {'route accuracy':>15} {'service accuracy':>17}")
    for share in SHARES:
        route = service = 0
        for test in folds:
            held = set(test)
            fit = [i for i in order if i not in held]
            fit = fit[:int(len(fit) * share)]
            predictions = learned.Predictor(learned.train([items[i] for i in fit])).predict(
                [items[i]["text"] for i in test])
            route += sum(items[i]["route"] == p.route for i, p in zip(test, predictions, strict=True))
            service += sum((items[i].get("service") or "") == p.service for i, p in zip(test, predictions, strict=True))
        size = int(len(items) * 0.8 * share)
        print(f"{size:>11,} {route / len(items):>15.3f} {service / len(items):>17.3f}", flush=True)


if __name__ == "__main__":
    main()
