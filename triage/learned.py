"""The learned text classifier: what kind of mention it is, which service it concerns and
whether a person may be at risk. Plain Python with numpy, scipy and scikit-learn; no Django.

Interface (other modules rely on these names):

- ``train(items, *, params=None) -> Model``: items are mappings with ``text``, ``route`` (one of
  ROUTES), ``service`` (a slug, or None/"" for none; the label set is whatever the items use, so a
  council's own services are learned too) and ``safeguarding`` (bool).
- ``Predictor(model)``; ``Predictor.predict(texts) -> list[Prediction]``; a Prediction has
  ``route``, ``route_probabilities`` (dict route -> probability), ``service`` ("" for none),
  ``service_probabilities`` (dict slug -> probability, "" for none), ``safeguarding`` (bool),
  ``safeguarding_probability`` and ``confidence`` (the probability of the chosen route).
- ``Predictor.explain(text, route=None, top=8) -> list[(term, weight)]``: the words and word
  pairs of the text that weighed most for the route (the chosen one by default), from the
  linear model's own coefficients (a word's character n-grams count for that word).
- ``evaluate(predictor, items) -> dict`` and ``scores(items, routes, services, safeguarding)``:
  accuracy, macro-F1, per-class precision/recall/F1, the confusion matrix, safeguarding recall
  and precision, service accuracy (see ``scores`` for the shape).
- ``model_to_bytes(model) -> bytes`` / ``model_from_bytes(data) -> Model``: numpy .npz with
  ``allow_pickle=False``: arrays and one JSON document, never a pickle.
- ``held_back(text) -> bool``: the deterministic held-back fifth (a stable hash of the text).
- ``load_corpus(paths) -> CorpusLoad``: items and the problems found, by file and line.

How it works: each text is lower-cased and split into words; the features are word unigrams
and bigrams and the character 2–5-grams within each word (so typos, plurals and Welsh
mutations share most of their features), each block weighted by sub-linear TF-IDF and
normalised to unit length. Three linear models share the features: route (six classes),
service (the training items' services and "none", classes balanced) and safeguarding (binary,
classes balanced). Each is a linear support vector machine (scikit-learn's LinearSVC, one
against the rest); its scores are turned into probabilities by a softmax whose temperature
(route, service) or by a sigmoid whose scale and offset (safeguarding, Platt's method) are
fitted on out-of-fold scores of the training items, and folded into the coefficients, so the
stored model stays one matrix of coefficients. The safeguarding threshold is the highest
whose out-of-fold recall reaches SAFEGUARDING_RECALL_TARGET. Prediction is one sparse
matrix product for all three, with each word's character n-grams looked up once and cached.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

ROUTES = ("no_action", "customer_service", "web_team_response", "service_conversation", "comms_escalation", "foi")
NONE_SERVICE = ""
SAFEGUARDING_RECALL_TARGET = 0.97  # on out-of-fold training predictions; the goal on new text is 0.95
FORMAT = 1  # the layout of the stored arrays; bump when it changes

DEFAULT_PARAMS: dict[str, Any] = {
    "min_df": 2,  # a feature must appear in at least this many training texts
    "char_min": 2,
    "char_max": 5,
    "route_c": 0.3,  # inverse regularisation strength of each linear SVM
    "route_balanced": False,
    "service_c": 0.3,
    "service_balanced": True,
    "safeguarding_c": 0.3,
    "char_weight": 1.0,  # the character block's weight against the word block's
    "folds": 5,  # out-of-fold scores calibrate the probabilities and the safeguarding threshold
}


# --- the held-back fifth --------------------------------------------------------------------

def _normalised(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def held_back(text: str) -> bool:
    """Whether an item belongs to the held-back fifth: by a stable hash of its text (case and
    spacing ignored), never by chance, so the split is the same on every machine and run."""
    digest = hashlib.sha256(_normalised(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 5 == 0


def split(items: Iterable[Mapping]) -> tuple[list[Mapping], list[Mapping]]:
    """(training items, held-back items)."""
    train_items, held = [], []
    for item in items:
        (held if held_back(item["text"]) else train_items).append(item)
    return train_items, held


# --- the corpus -----------------------------------------------------------------------------

@dataclasses.dataclass
class CorpusLoad:
    items: list[dict]
    problems: list[str]  # "file:line: what is wrong"; the line is left out
    files: list[str]


def validate_item(obj: Any, *, services: Iterable[str] | None = None) -> list[str]:
    """What is wrong with one labelled item; empty when usable."""
    if not isinstance(obj, Mapping):
        return ["not a JSON object"]
    errors = []
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        errors.append("'text' must be non-empty text")
    route = obj.get("route")
    if route not in ROUTES:
        errors.append(f"'route' must be one of {', '.join(ROUTES)}, not {route!r}")
    service = obj.get("service")
    if service is not None and not isinstance(service, str):
        errors.append(f"'service' must be a service's slug or null, not {service!r}")
    elif services is not None and service and service not in set(services):
        errors.append(f"unknown service {service!r}")
    sg = obj.get("safeguarding", False)
    if not isinstance(sg, bool):
        errors.append(f"'safeguarding' must be true or false, not {sg!r}")
    elif sg and route == "no_action":
        errors.append("a safeguarding item cannot be 'no_action'")
    followers = obj.get("followers")
    if followers is not None and (isinstance(followers, bool) or not isinstance(followers, int) or followers < 0):
        errors.append(f"'followers' must be a whole number, 0 or more, not {followers!r}")
    name = obj.get("name")
    if name is not None and not isinstance(name, str):
        errors.append(f"'name' must be text, not {name!r}")
    return errors


def read_items(path: str | Path) -> tuple[list[tuple[int, Any]], list[str]]:
    """(line or position, decoded object) from a JSON array or JSON Lines file, and the lines
    that are not JSON."""
    path = Path(path)
    raw = path.read_text(encoding="utf-8-sig")
    if raw.lstrip().startswith("["):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            return [], [f"{path.name}:{exc.lineno}: not valid JSON ({exc.msg})"]
        return [(i + 1, obj) for i, obj in enumerate(data)], []
    found, problems = [], []
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            found.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}:{number}: not valid JSON ({exc.msg})")
    return found, problems


def load_corpus(paths: Iterable[str | Path], *, services: Iterable[str] | None = None) -> CorpusLoad:
    """Every usable item of the files (JSON Lines or a JSON array), in order; an item whose text
    was already seen is a problem too, and only its first occurrence is kept."""
    items, problems, files, seen = [], [], [], {}
    known = None if services is None else set(services)
    for path in sorted(Path(p) for p in paths):
        files.append(path.name)
        found, bad = read_items(path)
        problems += bad
        for number, obj in found:
            where = f"{path.name}:{number}"
            errors = validate_item(obj, services=known)
            if errors:
                problems.append(f"{where}: {'; '.join(errors)}")
                continue
            key = _normalised(obj["text"])
            if key in seen:
                problems.append(f"{where}: the same text as {seen[key]}")
                continue
            seen[key] = where
            items.append({"text": obj["text"], "route": obj["route"], "service": obj.get("service") or None,
                          "safeguarding": bool(obj.get("safeguarding", False)), "source": obj.get("source", ""),
                          "followers": obj.get("followers"), "name": obj.get("name") or "", "where": where})
    return CorpusLoad(items, problems, files)


# --- features -----------------------------------------------------------------------------

_WORD = re.compile(r"@\w+|[^\W_]+(?:['’][^\W_]+)*|[?!£%]|[^\w\s]", re.UNICODE)
_URL = re.compile(r"https?://\S+|www\.\S+")


def words_of(text: str) -> list[str]:
    """The lower-cased words (and ?, !, £, emoji) of a text, as the model sees them."""
    text = _URL.sub(" httpurl ", unicodedata.normalize("NFC", text).lower())
    return [w.replace("’", "'") for w in _WORD.findall(text)]


def _char_grams(word: str, lo: int, hi: int) -> list[str]:
    padded = f" {word} "
    grams = []
    for n in range(lo, hi + 1):
        if n > len(padded):
            break
        grams += [padded[i:i + n] for i in range(len(padded) - n + 1)]
    return grams


def _word_terms(words: Sequence[str]) -> list[str]:
    return list(words) + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


class _Features:
    """Turns texts into the model's sparse feature matrix (word block, then character block)."""

    def __init__(self, word_vocab: Sequence[str], char_vocab: Sequence[str], word_idf: np.ndarray,
                 char_idf: np.ndarray, char_min: int, char_max: int, char_weight: float) -> None:
        self.word_index = {t: i for i, t in enumerate(word_vocab)}
        offset = len(word_vocab)
        self.char_index = {t: offset + i for i, t in enumerate(char_vocab)}
        self.n_word = offset
        self.size = offset + len(char_vocab)
        self.idf = np.concatenate([word_idf, char_idf]).astype(np.float64)
        self.char_min, self.char_max, self.char_weight = char_min, char_max, char_weight
        self._word_grams: dict[str, tuple[int, ...]] = {}

    def grams_of(self, word: str) -> tuple[int, ...]:
        found = self._word_grams.get(word)
        if found is None:
            index = self.char_index
            found = tuple(index[g] for g in _char_grams(word, self.char_min, self.char_max) if g in index)
            if len(self._word_grams) > 200_000:  # hostile input must not grow the cache for ever
                self._word_grams.clear()
            self._word_grams[word] = found
        return found

    def matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Sub-linear TF-IDF, each block (words, characters) normalised to unit length per text.
        The Python loop only looks features up; counting and weighting are done by numpy."""
        word_index, grams, grams_of = self.word_index, self._word_grams, self.grams_of
        cols: list[int] = []
        lengths = []
        for text in texts:
            words = words_of(text)
            start = len(cols)
            cols += [j for j in map(word_index.get, words) if j is not None]
            if len(words) > 1:
                cols += [j for j in map(word_index.get, map(" ".join, zip(words, words[1:], strict=False)))
                         if j is not None]
            for word in words:
                found = grams.get(word)
                cols += found if found is not None else grams_of(word)
            lengths.append(len(cols) - start)
        n = len(texts)
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        col_array = np.asarray(cols, dtype=np.int64)
        x = sparse.csr_matrix((np.ones(len(col_array)), (rows, col_array)), shape=(n, self.size))
        x.sum_duplicates()
        data, indices = x.data, x.indices
        data = (1.0 + np.log(data)) * self.idf[indices]
        char_block = indices >= self.n_word
        row_of = np.repeat(np.arange(n, dtype=np.int64), np.diff(x.indptr))
        slot = row_of * 2 + char_block
        norms = np.sqrt(np.bincount(slot, weights=data * data, minlength=2 * n))
        weights = np.where(char_block, self.char_weight, 1.0)
        x.data = weights * data / np.maximum(norms[slot], 1e-12)
        return x


def _vocabulary(docs: Sequence[Sequence[str]], min_df: int) -> tuple[list[str], np.ndarray]:
    df: dict[str, int] = {}
    for terms in docs:
        for t in set(terms):
            df[t] = df.get(t, 0) + 1
    vocab = sorted(t for t, n in df.items() if n >= min_df)
    n = len(docs)
    idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in vocab], dtype=np.float64)
    return vocab, idf


# --- the model as data ---------------------------------------------------------------------

@dataclasses.dataclass
class Model:
    """A trained model: arrays and a JSON-able `meta` (params, labels, threshold, counts)."""

    meta: dict[str, Any]
    word_vocab: np.ndarray  # str
    char_vocab: np.ndarray  # str
    word_idf: np.ndarray
    char_idf: np.ndarray
    coef: np.ndarray  # (features, route classes + service classes + 1), float32
    intercept: np.ndarray  # (route classes + service classes + 1,)

    @property
    def routes(self) -> list[str]:
        return list(self.meta["routes"])

    @property
    def services(self) -> list[str]:
        return list(self.meta["services"])


_ARRAYS = ("word_vocab", "char_vocab", "word_idf", "char_idf", "coef", "intercept")


def model_to_bytes(model: Model) -> bytes:
    """The model as a compressed .npz of plain arrays and one JSON text (no pickled objects)."""
    buffer = io.BytesIO()
    arrays = {name: getattr(model, name) for name in _ARRAYS}
    np.savez_compressed(buffer, meta=np.array(json.dumps(model.meta, sort_keys=True)), **arrays)
    return buffer.getvalue()


def model_from_bytes(data: bytes) -> Model:
    """Read a model written by model_to_bytes; refuses anything that needs unpickling."""
    with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as npz:
        meta = json.loads(str(npz["meta"]))
        if meta.get("format") != FORMAT:
            raise ValueError(f"Unknown model format {meta.get('format')!r} (expected {FORMAT}).")
        arrays = {name: npz[name] for name in _ARRAYS}
    return Model(meta=meta, **arrays)


# --- training ----------------------------------------------------------------------------

def _svm(c: float, balanced: bool):
    from sklearn.svm import LinearSVC

    return LinearSVC(C=c, class_weight="balanced" if balanced else None, max_iter=5000)


def _rows(clf, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(coef, intercept) with one row per label, in the order of `labels`."""
    coef, intercept = clf.coef_, clf.intercept_
    if coef.shape[0] == 1:  # two classes: one score for the second; (-z/2, z/2) ranks the same
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
    order = [list(clf.classes_).index(label) for label in labels]
    return coef[order], intercept[order]


def _folds(y: np.ndarray, wanted: int):
    from sklearn.model_selection import StratifiedKFold

    smallest = min(np.unique(y, return_counts=True)[1])
    folds = min(wanted, int(smallest))
    if folds < 2:
        return []
    return list(StratifiedKFold(folds, shuffle=True, random_state=13).split(np.zeros(len(y)), y))


def _out_of_fold(x, y: np.ndarray, labels: Sequence[str], c: float, balanced: bool, folds) -> np.ndarray | None:
    """Each item's scores from a model that did not see it (None when there are too few items)."""
    if not folds:
        return None
    scores = np.zeros((len(y), len(labels)))
    for fit_rows, test_rows in folds:
        present = [label for label in labels if label in set(y[fit_rows])]
        if len(present) < 2:
            return None
        coef, intercept = _rows(_svm(c, balanced).fit(x[fit_rows], y[fit_rows]), present)
        found = np.full((len(test_rows), len(labels)), -1e3)
        found[:, [labels.index(label) for label in present]] = np.asarray(x[test_rows] @ coef.T) + intercept
        scores[test_rows] = found
    return scores


def _temperature(scores: np.ndarray | None, y: np.ndarray, labels: Sequence[str]) -> float:
    """The temperature that makes softmax(scores / T) the best-calibrated probabilities (log loss)."""
    if scores is None:
        return 1.0
    target = np.array([labels.index(v) for v in y])
    best, best_loss = 1.0, math.inf
    for t in np.geomspace(0.02, 5.0, 80):
        z = scores / t
        z = z - z.max(axis=1, keepdims=True)
        loss = float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), target]))
        if loss < best_loss:
            best, best_loss = float(t), loss
    return best


def _head(x, y: np.ndarray, labels: list[str], c: float, balanced: bool, folds: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """A linear SVM per label, scaled so that the softmax of its scores gives calibrated
    probabilities; also the out-of-fold scores (scaled alike), None when too few items."""
    if len(labels) == 1:
        return np.zeros((1, x.shape[1])), np.zeros(1), None
    oof = _out_of_fold(x, y, labels, c, balanced, _folds(y, folds))
    t = _temperature(oof, y, labels)
    coef, intercept = _rows(_svm(c, balanced).fit(x, y), labels)
    return coef / t, intercept / t, None if oof is None else oof / t


def _safeguarding(x, y: np.ndarray, p: Mapping[str, Any], quiet: np.ndarray | None
                  ) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(coef row, intercept, threshold, threshold when the route read is "no_action"): a sigmoid
    of a linear SVM's score fitted on out-of-fold scores (Platt). The threshold is the highest
    whose out-of-fold recall reaches the target. Chatter that jokes about dying or murder is
    where most false alarms are, and a flag there turns "nothing to act on" into an urgent
    case, so for items whose out-of-fold route is "no_action" (`quiet`) the threshold is raised
    as far as 0.5 while the out-of-fold recall over all items still reaches the target."""
    if not 0 < y.sum() < len(y):
        return np.zeros((1, x.shape[1])), np.array([-10.0 if y.sum() == 0 else 10.0]), 0.5, 0.5
    labels = ["0", "1"]
    coef, intercept, oof = _head(x, y.astype(str), labels, p["safeguarding_c"], True, p["folds"])
    # Softmax over (-z/2, z/2) is a sigmoid of z: one row, the difference.
    row, bias = coef[1] - coef[0], intercept[1] - intercept[0]
    if oof is None:
        return row[None, :], np.array([bias]), 0.5, 0.5
    z = oof[:, 1] - oof[:, 0]
    from sklearn.linear_model import LogisticRegression

    platt = LogisticRegression(C=1e4).fit(z[:, None], y)
    a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    probability = 1.0 / (1.0 + np.exp(-(a * z + b)))
    positives = np.sort(probability[y == 1])[::-1]
    needed = math.ceil(SAFEGUARDING_RECALL_TARGET * len(positives))
    threshold = max(float(min(0.5, positives[needed - 1] - 1e-6)), 1e-4)
    quiet_threshold = threshold
    if quiet is not None:
        found_elsewhere = int(((probability >= threshold) & (y == 1) & ~quiet).sum())
        quiet_positives = probability[(y == 1) & quiet]
        candidates = {0.5, *(float(v) - 1e-6 for v in quiet_positives if threshold < v <= 0.5)}
        for candidate in sorted(candidates, reverse=True):
            if candidate > threshold and found_elsewhere + int((quiet_positives >= candidate).sum()) >= needed:
                quiet_threshold = candidate
                break
    return (a * row)[None, :], np.array([a * bias + b]), threshold, quiet_threshold


def train(items: Iterable[Mapping], *, params: Mapping[str, Any] | None = None) -> Model:
    """Fit the three classifiers on labelled items (see the module docstring)."""
    p = {**DEFAULT_PARAMS, **(params or {})}
    items = list(items)
    if not items:
        raise ValueError("No items to train on.")
    texts = [it["text"] for it in items]
    docs = [words_of(t) for t in texts]
    word_vocab, word_idf = _vocabulary([_word_terms(d) for d in docs], p["min_df"])
    char_vocab, char_idf = _vocabulary(
        [[g for w in d for g in _char_grams(w, p["char_min"], p["char_max"])] for d in docs], p["min_df"])
    features = _Features(word_vocab, char_vocab, word_idf, char_idf, p["char_min"], p["char_max"], p["char_weight"])
    x = features.matrix(texts)

    route_y = np.array([it["route"] for it in items])
    routes = [r for r in ROUTES if r in set(route_y)]
    service_y = np.array([it.get("service") or NONE_SERVICE for it in items])
    services = sorted(set(service_y))
    sg_y = np.array([1 if it.get("safeguarding") else 0 for it in items])

    route_coef, route_intercept, route_oof = _head(x, route_y, routes, p["route_c"], p["route_balanced"],
                                                   p["folds"])
    service_coef, service_intercept, _ = _head(x, service_y, services, p["service_c"], p["service_balanced"],
                                               p["folds"])
    quiet = None
    if route_oof is not None and "no_action" in routes:
        quiet = route_oof.argmax(axis=1) == routes.index("no_action")
    sg_coef, sg_intercept, threshold, quiet_threshold = _safeguarding(x, sg_y, p, quiet)
    meta = {
        "format": FORMAT, "params": p, "routes": routes, "services": services,
        "safeguarding_threshold": threshold, "safeguarding_threshold_no_action": quiet_threshold,
        "trained_on": {"items": len(items), "safeguarding": int(sg_y.sum()),
                       "routes": {r: int((route_y == r).sum()) for r in routes}},
    }
    return Model(meta=meta, word_vocab=np.array(word_vocab, dtype=str), char_vocab=np.array(char_vocab, dtype=str),
                 word_idf=word_idf.astype(np.float32), char_idf=char_idf.astype(np.float32),
                 coef=np.vstack([route_coef, service_coef, sg_coef]).T.astype(np.float32),
                 intercept=np.concatenate([route_intercept, service_intercept, sg_intercept]).astype(np.float32))


# --- predicting -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Prediction:
    route: str
    route_probabilities: dict[str, float]
    service: str  # "" for none
    service_probabilities: dict[str, float]
    safeguarding: bool
    safeguarding_probability: float
    confidence: float  # the probability of the chosen route
    version: int | None = None  # the stored model version, when it came from one

    @property
    def service_probability(self) -> float:
        return self.service_probabilities.get(self.service, 0.0)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Predictor:
    """A model ready to predict. Build one per model and keep it: it caches word features."""

    def __init__(self, model: Model, *, version: int | None = None) -> None:
        self.model = model
        self.version = version
        meta = model.meta
        p = meta["params"]
        self.features = _Features([str(t) for t in model.word_vocab], [str(t) for t in model.char_vocab],
                                  model.word_idf, model.char_idf, p["char_min"], p["char_max"], p["char_weight"])
        self.routes = list(meta["routes"])
        self.services = list(meta["services"])
        self.threshold = float(meta["safeguarding_threshold"])
        self.quiet_threshold = float(meta.get("safeguarding_threshold_no_action", self.threshold))
        # The training words' character n-grams, looked up now rather than on first sight of each.
        for term in self.features.word_index:
            if " " not in term:
                self.features.grams_of(term)
        self.coef = np.ascontiguousarray(model.coef, dtype=np.float64)
        self.intercept = model.intercept.astype(np.float64)
        self._r = len(self.routes)
        self._s = len(self.services)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        x = self.features.matrix(texts)
        return np.asarray(x @ self.coef) + self.intercept

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        z = self.scores(texts)
        r, s = self._r, self._s
        route_p = _softmax(z[:, :r])
        service_p = _softmax(z[:, r:r + s])
        sg_p = (1.0 / (1.0 + np.exp(-z[:, r + s]))).tolist()
        best_route = route_p.argmax(axis=1).tolist()
        best_service = service_p.argmax(axis=1).tolist()
        routes, services, version = self.routes, self.services, self.version
        thresholds = [self.quiet_threshold if route == "no_action" else self.threshold for route in routes]
        return [
            Prediction(route=routes[b], route_probabilities=dict(zip(routes, rp, strict=True)),
                       service=services[sb], service_probabilities=dict(zip(services, sp, strict=True)),
                       safeguarding=sg >= thresholds[b], safeguarding_probability=sg, confidence=rp[b],
                       version=version)
            for rp, sp, sg, b, sb in zip(route_p.tolist(), service_p.tolist(), sg_p, best_route, best_service,
                                          strict=True)]

    def explain(self, text: str, route: str | None = None, top: int = 8) -> list[tuple[str, float]]:
        """The words (and word pairs) of `text` that weighed most towards `route` (the
        predicted route when None): each feature's value times its coefficient for the route,
        less its average over the routes; a word's character n-grams are credited to it."""
        if route is None:
            route = self.predict([text])[0].route
        if route not in self.routes:
            return []
        k = self.routes.index(route)
        route_coef = self.coef[:, :self._r]
        weight = route_coef[:, k] - route_coef.mean(axis=1)
        words = words_of(text)
        x = self.features.matrix([text])
        value = dict(zip(x.indices.tolist(), x.data.tolist(), strict=True))
        contribution: dict[str, float] = {}
        index = self.features.word_index
        for term in dict.fromkeys(_word_terms(words)):
            j = index.get(term)
            if j is not None:
                contribution[term] = contribution.get(term, 0.0) + value[j] * weight[j]
        # A character n-gram found in several words is shared between them.
        owners: dict[int, list[str]] = {}
        for word in dict.fromkeys(words):
            for j in set(self.features.grams_of(word)):
                owners.setdefault(j, []).append(word)
        for j, found_in in owners.items():
            share = value[j] * weight[j] / len(found_in)
            for word in found_in:
                contribution[word] = contribution.get(word, 0.0) + share
        ranked = sorted(((t, w) for t, w in contribution.items() if w > 0 and any(ch.isalnum() for ch in t)),
                        key=lambda tw: -tw[1])
        return [(t, round(float(w), 4)) for t, w in ranked[:top]]


# --- evaluating ---------------------------------------------------------------------------

def _per_class(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, dict]:
    out = {}
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p == label)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t != label and p == label)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn, "predicted": tp + fp}
    return out


def scores(items: Sequence[Mapping], routes: Sequence[str], services: Sequence[str] | None = None,
           safeguarding: Sequence[bool] | None = None) -> dict[str, Any]:
    """Figures for predictions (`routes`, `services`, `safeguarding`, one per item) against the
    items' labels:

    {"items": n, "route": {"accuracy", "macro_f1", "per_class": {route: {precision, recall, f1,
    support, predicted}}, "labels": [...], "confusion": rows = labelled, columns = predicted},
    "service": {"accuracy", "per_class"} or None, "safeguarding": {"recall", "precision", "f1",
    "support", "flagged"} or None}. Macro-F1 averages the routes that occur in the labels or
    the predictions."""
    truth = [it["route"] for it in items]
    n = len(truth)
    labels = [r for r in ROUTES if r in set(truth) | set(routes)]
    per_class = _per_class(truth, routes, labels)
    position = {label: i for i, label in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in labels]
    for t, p in zip(truth, routes, strict=True):
        confusion[position[t]][position[p]] += 1
    result: dict[str, Any] = {
        "items": n,
        "route": {"accuracy": sum(t == p for t, p in zip(truth, routes, strict=True)) / n if n else 0.0,
                  "macro_f1": sum(c["f1"] for c in per_class.values()) / len(per_class) if per_class else 0.0,
                  "per_class": per_class, "labels": labels, "confusion": confusion},
        "service": None, "safeguarding": None,
    }
    if services is not None:
        service_truth = [it.get("service") or NONE_SERVICE for it in items]
        given = [s or NONE_SERVICE for s in services]
        service_labels = sorted(set(service_truth) | set(given))
        result["service"] = {
            "accuracy": sum(t == p for t, p in zip(service_truth, given, strict=True)) / n if n else 0.0,
            "per_class": _per_class(service_truth, given, service_labels)}
    if safeguarding is not None:
        sg_truth = [bool(it.get("safeguarding")) for it in items]
        tp = sum(1 for t, p in zip(sg_truth, safeguarding, strict=True) if t and p)
        support, flagged = sum(sg_truth), sum(bool(p) for p in safeguarding)
        precision = tp / flagged if flagged else 0.0
        recall = tp / support if support else 0.0
        result["safeguarding"] = {
            "recall": recall, "precision": precision,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "support": support, "flagged": flagged, "found": tp}
    return result


def evaluate(predictor: Predictor, items: Sequence[Mapping]) -> dict[str, Any]:
    """The model's own figures on labelled items (text alone, no matrix): see scores()."""
    items = list(items)
    predictions = predictor.predict([it["text"] for it in items])
    return scores(items, [p.route for p in predictions], [p.service for p in predictions],
                  [p.safeguarding for p in predictions])


def summary(figures: Mapping[str, Any]) -> dict[str, float | None]:
    """The headline figures of scores(): route accuracy, macro-F1, safeguarding recall and
    precision, service accuracy (None where not measured)."""
    sg, service = figures.get("safeguarding"), figures.get("service")
    return {"accuracy": figures["route"]["accuracy"], "macro_f1": figures["route"]["macro_f1"],
            "safeguarding_recall": sg["recall"] if sg and sg["support"] else None,
            "safeguarding_precision": sg["precision"] if sg and sg["flagged"] else None,
            "service_accuracy": service["accuracy"] if service else None}


def format_report(figures: Mapping[str, Any]) -> str:
    """scores() as plain text for a terminal."""
    route = figures["route"]
    lines = [f"Items: {figures['items']}",
             f"Route accuracy: {route['accuracy']:.3f}",
             f"Route macro-F1: {route['macro_f1']:.3f}"]
    sg = figures.get("safeguarding")
    if sg is not None:
        lines.append(f"Safeguarding recall: {sg['recall']:.3f} ({sg['found']} of {sg['support']})")
        lines.append(f"Safeguarding precision: {sg['precision']:.3f} ({sg['found']} of {sg['flagged']} flagged)")
    service = figures.get("service")
    if service is not None:
        lines.append(f"Service accuracy: {service['accuracy']:.3f}")
    lines += ["", f"{'route':<22} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}"]
    for label, c in route["per_class"].items():
        lines.append(f"{label:<22} {c['precision']:>9.3f} {c['recall']:>7.3f} {c['f1']:>6.3f} {c['support']:>8}")
    labels = route["labels"]
    short = {r: "".join(w[0] for w in r.split("_")).upper() for r in labels}
    lines += ["", "Confusion matrix (rows: labelled route, columns: routed to)",
              f"{'':<22} " + " ".join(f"{short[r]:>5}" for r in labels)]
    for label, row in zip(labels, route["confusion"], strict=True):
        lines.append(f"{label:<22} " + " ".join(f"{v:>5}" for v in row))
    lines.append("  " + ", ".join(f"{short[r]} = {r}" for r in labels))
    return "\n".join(lines)
