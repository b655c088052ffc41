"""Would another learner, or several together, read the routes better than the shipped one?
Cross-validated route accuracy on the training part of the shipped corpus (never its held-back
fifth): the shipped classifier (triage.learned), logistic regression on the same features, a
linear SVM on character 1-6-grams across word boundaries, complement naive Bayes on word
1-3-grams, averages of their probabilities, and how often at least one of them is right.

    python benchmarks/triage_learners_check.py [--seeds 1,2]
"""
import argparse
import random
import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from triage import learned  # noqa: E402

ROUTES = list(learned.ROUTES)


def _ordered(probabilities: np.ndarray, classes) -> np.ndarray:
    return probabilities[:, [list(classes).index(r) for r in ROUTES]]


def out_of_fold(items: list[dict], seed: int) -> dict[str, np.ndarray]:
    """Each learner's route probabilities for every item, from a model that did not see it."""
    texts = [i["text"] for i in items]
    y = np.array([i["route"] for i in items])
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    found = {k: np.zeros((len(items), len(ROUTES))) for k in ("shipped", "logistic", "characters", "naive Bayes")}
    for k in range(5):
        test = order[k::5]
        held = set(test)
        fit = [i for i in order if i not in held]
        fit_texts, test_texts = [texts[i] for i in fit], [texts[i] for i in test]
        predictor = learned.Predictor(learned.train([items[i] for i in fit]))
        found["shipped"][test] = [[p.route_probabilities.get(r, 0.0) for r in ROUTES]
                                  for p in predictor.predict(test_texts)]
        a, b = predictor.features.matrix(fit_texts), predictor.features.matrix(test_texts)
        lr = LogisticRegression(C=20, max_iter=3000).fit(a, y[fit])
        found["logistic"][test] = _ordered(lr.predict_proba(b), lr.classes_)
        chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 6), min_df=2, sublinear_tf=True, max_features=300000)
        a, b = chars.fit_transform(fit_texts), chars.transform(test_texts)
        svm = LinearSVC(C=0.3).fit(a, y[fit])
        found["characters"][test] = learned._softmax(3 * _ordered(svm.decision_function(b), svm.classes_))
        words = TfidfVectorizer(ngram_range=(1, 3), min_df=2, use_idf=False, norm=None, binary=True)
        a, b = words.fit_transform(fit_texts), words.transform(test_texts)
        nb = ComplementNB(alpha=0.3).fit(a, y[fit])
        found["naive Bayes"][test] = _ordered(nb.predict_proba(b), nb.classes_)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1,2", help="fold seeds, comma-separated")
    seeds = [int(s) for s in parser.parse_args().seeds.split(",")]
    corpus = sorted((Path(__file__).resolve().parent.parent / "triage" / "corpus").glob("*.jsonl"))
    items, _held = learned.split(learned.load_corpus(corpus).items)
    y = np.array([i["route"] for i in items])
    print(f"{len(items)} training items, 5-fold cross-validation, seeds {seeds}: route accuracy")
    for seed in seeds:
        found = out_of_fold(items, seed)

        def accuracy(p: np.ndarray) -> float:
            return float((np.array(ROUTES)[p.argmax(axis=1)] == y).mean())

        rows = [(name, accuracy(p)) for name, p in found.items()]
        rows += [(f"shipped + {name}", accuracy(found["shipped"] + p)) for name, p in found.items() if name != "shipped"]
        rows.append(("all four averaged", accuracy(sum(found.values()))))
        right = np.stack([np.array(ROUTES)[p.argmax(axis=1)] == y for p in found.values()])
        rows.append(("at least one of the four right", float(right.any(axis=0).mean())))
        for name, value in rows:
            print(f"  seed {seed}  {name:<32} {value:.4f}")


if __name__ == "__main__":
    main()
