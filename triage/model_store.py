"""The learned classifier's versions, stored as data (ClassifierVersion): training, promotion
with a check against the live version's figures, rollback, and the live predictor of this
process.

- classifier_train(*, extra_items=(), actor=None) -> ClassifierVersion: trains on the shipped
  corpus less its held-back fifth, plus `extra_items` (the council's own labels: mappings with
  text, route, service, safeguarding), evaluates on the held-back fifth and stores a candidate.
- classifier_promote(version, *, actor): makes it live, unless its held-back figures are worse
  than the live version's (then it is marked rejected and PromotionRefused is raised).
- classifier_rollback(version, *, actor): makes an earlier version live again.
- live_predictor(): the live version's Predictor, kept per process and reloaded when the live
  version changes (one small query). With no version stored yet (a fresh install, tests) it
  is the model trained from the shipped corpus in this process (seconds, offline).
- classifier_ensure_live(*, actor=None): stores that shipped model as the first live version
  when there is none (the demo loader calls it).
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.audit import audit_record

from . import learned
from .models import ClassifierVersion

log = logging.getLogger(__name__)
Status = ClassifierVersion.Status
CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
# The demo council's services, which the shipped corpus is labelled with (triage/corpus/GUIDE.md).
SHIPPED_SERVICES = (
    "communications", "customer-services", "libraries", "leisure", "waste-and-recycling", "council-tax", "parking",
    "housing", "highways", "planning", "adoption-and-fostering", "hr-recruitment", "procurement",
    "democratic-services",
)

# A candidate is worse than the live version when any of these held-back figures is lower by
# more than TOLERANCE (differences that small are one or two items of the held-back fifth).
COMPARED = {"accuracy": "route accuracy", "macro_f1": "route macro-F1",
            "safeguarding_recall": "safeguarding recall", "service_accuracy": "service accuracy"}
TOLERANCE = 0.005


class PromotionRefused(ValueError):
    """The candidate scored worse on the held-back fifth than the live version."""


# --- the shipped corpus ------------------------------------------------------------------------

_lock = threading.RLock()
_corpus: tuple[tuple, learned.CorpusLoad] | None = None
_shipped: learned.Predictor | None = None
_live: tuple[int, learned.Predictor] | None = None


def corpus_files(directory: Path = CORPUS_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def shipped_corpus() -> learned.CorpusLoad:
    """The labelled corpus shipped in triage/corpus (read again when a file changes)."""
    global _corpus
    files = corpus_files()
    key = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    with _lock:
        if _corpus is None or _corpus[0] != key:
            loaded = learned.load_corpus(files, services=SHIPPED_SERVICES)
            for problem in loaded.problems:
                log.warning("Corpus item left out: %s", problem)
            _corpus = (key, loaded)
        return _corpus[1]


def shipped_split() -> tuple[list[dict], list[dict]]:
    """(training items, the held-back fifth) of the shipped corpus."""
    return learned.split(shipped_corpus().items)


def _shipped_cache_path() -> Path:
    """Where this process keeps the shipped model, named for everything it is made from (the
    corpus files and the learning code), so a changed corpus or code is never served stale."""
    digest = hashlib.sha256(Path(learned.__file__).read_bytes())
    for path in corpus_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return Path(settings.CLASSIFIER_CACHE_DIR) / f"shipped-{digest.hexdigest()[:24]}.npz"


def shipped_predictor() -> learned.Predictor:
    """A model trained on the shipped corpus less its held-back fifth: trained once and kept
    as a file of plain arrays in CLASSIFIER_CACHE_DIR (read with allow_pickle=False), so other
    processes and later runs load it in a moment instead of training again."""
    global _shipped
    with _lock:
        if _shipped is not None:
            return _shipped
        path = _shipped_cache_path()
        model = None
        if path.exists():
            try:
                model = learned.model_from_bytes(path.read_bytes())
            except (ValueError, OSError, KeyError) as exc:
                log.warning("The cached shipped classifier %s is unreadable (%s); training again.", path, exc)
        if model is None:
            started = time.perf_counter()
            model = learned.train(shipped_split()[0])
            log.info("Trained the shipped classifier in %.1f s", time.perf_counter() - started)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(f".{os.getpid()}.part")
                partial.write_bytes(learned.model_to_bytes(model))
                partial.replace(path)
            except OSError as exc:
                log.warning("Could not keep the shipped classifier at %s: %s", path, exc)
        _shipped = learned.Predictor(model)
        return _shipped


# --- versions ------------------------------------------------------------------------------

def _usable_labels(extra_items: Iterable[Mapping]) -> list[dict]:
    usable = []
    for item in extra_items:
        errors = learned.validate_item(item)
        if errors:
            log.warning("A council label is left out of training: %s", "; ".join(errors))
            continue
        usable.append({"text": item["text"], "route": item["route"], "service": item.get("service") or None,
                       "safeguarding": bool(item.get("safeguarding", False))})
    return usable


def _store(model: learned.Model, *, metrics: dict, status: str, actor, corpus_items: int, council_labels: int,
           seconds: float, note: str = "") -> ClassifierVersion:
    data = learned.model_to_bytes(model)
    for _attempt in range(3):
        number = (ClassifierVersion.objects.aggregate(n=Max("version"))["n"] or 0) + 1
        try:
            with transaction.atomic():
                row = ClassifierVersion.objects.create(
                    version=number, status=status, trained_by=actor if getattr(actor, "pk", None) else None,
                    trained_by_name=str(actor) if actor is not None else "system", corpus_items=corpus_items,
                    council_labels=council_labels, metrics=metrics, params=data,
                    params_sha256=hashlib.sha256(data).hexdigest(), training_seconds=round(seconds, 2),
                    promoted_at=timezone.now() if status == Status.LIVE else None, note=note)
                audit_record(actor=actor, action="classifier.trained", obj=row, note=note,
                             changes={"status": [None, status], "figures": [None, row.headline()],
                                      "corpus_items": [None, corpus_items], "council_labels": [None, council_labels]})
                return row
        except IntegrityError:  # another process took the number (or made a version live) first
            continue
    raise RuntimeError("Could not store the classifier version.")


def classifier_train(*, extra_items: Iterable[Mapping] = (), actor=None, params: Mapping | None = None
                     ) -> ClassifierVersion:
    """Train a candidate on the shipped corpus (less the held-back fifth) and `extra_items`,
    evaluate it on the held-back fifth and store it. It is not live until promoted."""
    train_items, held = shipped_split()
    labels = _usable_labels(extra_items)
    started = time.perf_counter()
    model = learned.train(train_items + labels, params=params)
    seconds = time.perf_counter() - started
    metrics = learned.evaluate(learned.Predictor(model), held)
    return _store(model, metrics=metrics, status=Status.CANDIDATE, actor=actor, corpus_items=len(train_items),
                  council_labels=len(labels), seconds=seconds)


def worse_than(candidate: Mapping, live: Mapping) -> list[str]:
    """How a candidate's held-back figures fall short of the live version's, in words."""
    if not live.get("route"):
        return []
    new, old = learned.summary(candidate), learned.summary(live)
    found = []
    for key, label in COMPARED.items():
        if old[key] is None:
            continue
        if new[key] is None or new[key] < old[key] - TOLERANCE:
            shown = "not measured" if new[key] is None else f"{new[key]:.3f}"
            found.append(f"{label} {shown} against {old[key]:.3f}")
    return found


def _changed() -> None:
    from .config import config_changed

    config_changed()  # every process rebuilds its configuration, and with it takes the live model


def classifier_promote(version: ClassifierVersion, *, actor) -> ClassifierVersion:
    """Make `version` live. Refused (PromotionRefused; the version is marked rejected) when its
    figures on the held-back fifth are worse than the live version's."""
    with transaction.atomic():
        row = ClassifierVersion.objects.select_for_update().get(pk=version.pk)
        live = ClassifierVersion.objects.select_for_update().filter(status=Status.LIVE).first()
        if live is not None and live.pk == row.pk:
            return row
        worse = worse_than(row.metrics, live.metrics) if live is not None else []
        if worse:
            note = f"Not promoted: worse than version {live.version} on the held-back fifth ({'; '.join(worse)})."
            before, row.status, row.note = row.status, Status.REJECTED, note
            row.save(update_fields=["status", "note"])
            audit_record(actor=actor, action="classifier.rejected", obj=row, note=note,
                         changes={"status": [before, row.status]})
        else:
            _make_live(row, live, actor=actor, action="classifier.promoted",
                       note=f"Promoted over version {live.version}." if live else "The first live version.")
    if worse:
        raise PromotionRefused(note)
    return row


def classifier_rollback(version: ClassifierVersion, *, actor) -> ClassifierVersion:
    """Make an earlier version live again (no comparison: the council chooses)."""
    with transaction.atomic():
        row = ClassifierVersion.objects.select_for_update().get(pk=version.pk)
        live = ClassifierVersion.objects.select_for_update().filter(status=Status.LIVE).first()
        if live is not None and live.pk == row.pk:
            return row
        _make_live(row, live, actor=actor, action="classifier.rolled_back",
                   note=f"Rolled back from version {live.version}." if live else "Rolled back.")
    return row


def _make_live(row: ClassifierVersion, live: ClassifierVersion | None, *, actor, action: str, note: str) -> None:
    if live is not None:
        live.status = Status.RETIRED
        live.save(update_fields=["status"])
    before, row.status, row.promoted_at, row.note = row.status, Status.LIVE, timezone.now(), note
    row.save(update_fields=["status", "promoted_at", "note"])
    audit_record(actor=actor, action=action, obj=row, note=note,
                 changes={"status": [before, row.status], "replaced": [live.version if live else None, None]})
    _changed()


def classifier_ensure_live(*, actor=None) -> ClassifierVersion:
    """The live version; when there is none, the shipped model becomes version 1 (or the next)."""
    live = ClassifierVersion.objects.filter(status=Status.LIVE).first()
    if live is not None:
        return live
    predictor = shipped_predictor()
    train_items, held = shipped_split()
    with transaction.atomic():
        row = _store(predictor.model, metrics=learned.evaluate(predictor, held), status=Status.CANDIDATE, actor=actor,
                     corpus_items=len(train_items), council_labels=0, seconds=0)
        _make_live(row, None, actor=actor, action="classifier.promoted",
                   note="The model trained on the shipped corpus.")
    return row


# --- the live predictor ---------------------------------------------------------------------

def live_version() -> int | None:
    """The live version's number, or None when none is stored."""
    return ClassifierVersion.objects.filter(status=Status.LIVE).values_list("version", flat=True).first()


def live_predictor() -> learned.Predictor:
    """The live version's predictor (loaded once per process and version)."""
    global _live
    row = ClassifierVersion.objects.filter(status=Status.LIVE).values_list("pk", "version").first()
    if row is None:
        return shipped_predictor()
    cached = _live
    if cached is not None and cached[0] == row[0]:
        return cached[1]
    with _lock:
        found = ClassifierVersion.objects.filter(pk=row[0]).values_list("params", "params_sha256").first()
        if found is None:  # changed under us: the next call will see the new one
            return shipped_predictor()
        data, digest = bytes(found[0]), found[1]
        if hashlib.sha256(data).hexdigest() != digest:
            log.error("Classifier version %s does not match its checksum; using the shipped model.", row[1])
            return shipped_predictor()
        predictor = learned.Predictor(learned.model_from_bytes(data), version=row[1])
        _live = (row[0], predictor)
        return predictor
