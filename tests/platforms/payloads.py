"""Reading the recorded platform payloads in shared/platform-payloads/<platform>/.

Each body `<name>.json` has a `<name>.meta.json` beside it, in one of two layouts:

* the first collection: `{platform, endpoint, request{method, url, body}, status, headers,
  source{...}, description}`;
* the second collection: `{repo, path, commit, endpoint, licence, notes, unwrapped, status?,
  request{method, url}?, headers?, kind?, ...}`.

`load()` gives every test the same shape whichever layout a file uses: no `headers` means
none were recorded (an empty dict), no `request` means the call is derived from `endpoint`
("GET /2/users/:id/mentions (default fields)" → method GET, url "/2/users/:id/mentions"),
no `status` means it was not recorded (None). Expected values are always read from the files.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "platform-payloads"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def folder(platform: str) -> Path:
    return ROOT / platform


def skip_without(platform: str):
    """The pytestmark of a payload test module: skipped when the payloads are not beside the project."""
    return pytest.mark.skipif(not folder(platform).is_dir(), reason=f"recorded payloads not found at {ROOT}")


def names(platform: str) -> list[str]:
    if not folder(platform).is_dir():
        return []
    return sorted(p.name[: -len(".meta.json")] for p in folder(platform).glob("*.meta.json"))


def bodies(platform: str) -> set[str]:
    return {p.name[: -len(".json")] for p in folder(platform).glob("*.json") if not p.name.endswith(".meta.json")}


def request_from_endpoint(endpoint: str) -> dict:
    """The call an `endpoint` text describes: "GET /path?query (notes)" → {"GET", "/path?query"};
    a webhook is a POST to us and "any endpoint" a GET, with no URL."""
    words = (endpoint or "").split()
    if len(words) >= 2 and words[0] in HTTP_METHODS:
        return {"method": words[0], "url": words[1], "body": None}
    method = "POST" if (endpoint or "").lower().startswith("webhook") else "GET"
    return {"method": method, "url": None, "body": None}


def normalise(meta: dict) -> dict:
    """One shape for both layouts (see the module docstring)."""
    meta = dict(meta)
    meta["headers"] = dict(meta.get("headers") or {})
    meta.setdefault("status", None)
    derived = request_from_endpoint(meta.get("endpoint", ""))
    request = meta.get("request")
    if not isinstance(request, dict):
        request = derived
    meta["request"] = {
        "method": request.get("method") or derived["method"],
        "url": request.get("url") or derived["url"],
        "body": request.get("body"),
    }
    return meta


def load(platform: str, name: str) -> tuple[str, object, dict]:
    """(body text, decoded body, normalised meta) of one payload."""
    text = (folder(platform) / f"{name}.json").read_text(encoding="utf-8")
    meta = json.loads((folder(platform) / f"{name}.meta.json").read_text(encoding="utf-8"))
    return text, json.loads(text), normalise(meta)


def header(meta: dict, name: str) -> str | None:
    """A recorded header, whatever its case in the file."""
    return {k.lower(): v for k, v in meta["headers"].items()}.get(name.lower())


def request_url(meta: dict, base: str) -> str:
    """The recorded URL, or the derived path on `base` (placeholders and all)."""
    url = meta["request"]["url"] or "/"
    return url if urlsplit(url).scheme else base.rstrip("/") + url


def request_path(meta: dict) -> str:
    return urlsplit(meta["request"]["url"] or "/").path
