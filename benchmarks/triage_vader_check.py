"""Does VADER's sentiment help the learned route model? Cross-validated route accuracy on the
training part of the shipped corpus (never its held-back fifth), with and without VADER's
compound score as two extra features (its positive and negative parts).

    python benchmarks/triage_vader_check.py
"""
import sys
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from triage import learned  # noqa: E402
from triage.classify import vader_compound  # noqa: E402


def main() -> None:
    corpus = sorted((Path(__file__).resolve().parent.parent / "triage" / "corpus").glob("*.jsonl"))
    items, _held = learned.split(learned.load_corpus(corpus).items)
    texts = [i["text"] for i in items]
    y = np.array([i["route"] for i in items])
    p = learned.DEFAULT_PARAMS
    docs = [learned.words_of(t) for t in texts]
    word_vocab, word_idf = learned._vocabulary([learned._word_terms(d) for d in docs], p["min_df"])
    char_vocab, char_idf = learned._vocabulary(
        [[g for w in d for g in learned._char_grams(w, p["char_min"], p["char_max"])] for d in docs], p["min_df"])
    features = learned._Features(word_vocab, char_vocab, word_idf, char_idf, p["char_min"], p["char_max"],
                                 p["char_weight"])
    x = features.matrix(texts)
    compound = np.array([vader_compound(t) for t in texts])
    vader = sparse.csr_matrix(np.c_[np.clip(compound, 0, None), np.clip(-compound, 0, None)])
    folds = [s for seed in (1, 2, 3) for s in StratifiedKFold(5, shuffle=True, random_state=seed).split(texts, y)]
    for name, m in (("without VADER", x), ("with VADER", sparse.hstack([x, vader]).tocsr())):
        accuracy = [(LinearSVC(C=p["route_c"]).fit(m[a], y[a]).predict(m[b]) == y[b]).mean() for a, b in folds]
        print(f"{name}: route accuracy {np.mean(accuracy):.4f} (5-fold, 3 seeds, {len(items)} training items)")


if __name__ == "__main__":
    main()
