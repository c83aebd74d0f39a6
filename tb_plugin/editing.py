"""Editing annotations from the tab: `POST /annotate`, off unless `--rungroups_allow_edit`.

TensorBoard has no protection against cross-site requests, and any page the
user opens can send requests to a TensorBoard on localhost. A write is
accepted only when *all* of these hold (`check_request`), else the route
answers 403 and writes nothing:

* TensorBoard was started with ``--rungroups_allow_edit``;
* the request's ``Content-Type`` is ``application/json`` (a cross-site form
  can only send ``text/plain``, form-encoded or multipart; a cross-site
  ``fetch`` with JSON needs a CORS preflight, which TensorBoard never grants);
* its ``X-Rungroups-Token`` header equals this process's token
  (`secrets.token_urlsafe`, made at start-up), which the tab reads from
  ``GET /edit`` on its own origin (another origin cannot read that answer);
* its ``Origin`` header is present and equals ``scheme://Host`` of the
  request itself;
* its ``Host`` is a literal IP address, ``localhost``, TensorBoard's
  ``--host`` or this machine's name (a DNS-rebinding page has a host name of
  its own, and would otherwise pass the Origin check and read the token).

The body (`parse_body`) is one change for one or more runs, written through
`tb_plugin.writer.edit_run` (the merging writer of ``tb-rungroups annotate``);
the answer carries each run's metadata after the write and an ``undo`` body
that the tab posts back to reverse the change (see ``http_api.md``).
"""

from __future__ import annotations

import dataclasses
import hmac
import ipaddress
import json
import os
import secrets
import socket
from collections.abc import Callable, Iterable
from typing import Any

from tb_plugin import metadata, writer

TOKEN_HEADER = "X-Rungroups-Token"
MAX_BODY_BYTES = 1 << 20
MAX_RUNS = 10_000
_CHANGE_KEYS = ("note", "add_tags", "remove_tags", "status", "remove_note_ids")


class Forbidden(Exception):
    """The request may not write (answered 403, nothing written)."""


def new_token() -> str:
    """A per-process token for the tab (`secrets`, 256 bits)."""
    return secrets.token_urlsafe(32)


def allowed_hosts(flag_host: str | None) -> frozenset[str]:
    """Host names (no port) a write may be addressed to, besides literal IPs."""
    names = {"localhost", socket.gethostname(), socket.getfqdn()}
    if flag_host:
        names.add(flag_host)
    return frozenset(n.lower() for n in names if n)


def check_request(
    *,
    enabled: bool,
    token: str,
    hosts: frozenset[str],
    method: str,
    content_type: str | None,
    origin: str | None,
    host: str | None,
    scheme: str,
    sent_token: str | None,
) -> None:
    """Raises `Forbidden` (with the reason) unless the request may write."""
    if not enabled:
        raise Forbidden("editing is off: start TensorBoard with --rungroups_allow_edit")
    if method != "POST":
        raise Forbidden("only POST writes")
    if (content_type or "").split(";")[0].strip().lower() != "application/json":
        raise Forbidden("the body must be application/json")
    if not sent_token or not hmac.compare_digest(sent_token.encode(), token.encode()):
        raise Forbidden(f"missing or wrong {TOKEN_HEADER} header")
    if not host:
        raise Forbidden("no Host header")
    if not origin or origin != f"{scheme}://{host}":
        raise Forbidden("the Origin header must be this server's own")
    if not host_allowed(host, hosts):
        raise Forbidden("the Host is not this server's (a DNS-rebinding page?)")


def host_allowed(host: str, hosts: frozenset[str]) -> bool:
    """Whether a Host header (name and port) names this server: a literal IP
    address or one of `hosts`."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]").lower()
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return name in hosts


@dataclasses.dataclass(frozen=True)
class Change:
    """One change for some runs (the body of `POST /annotate`)."""

    runs: tuple[str, ...]
    note: str | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    status: str | None = None
    remove_note_ids: tuple[str, ...] = ()


def parse_body(body: bytes) -> list[Change]:
    """Parses a body: one change object, or ``{"changes": [change, ...]}`` (an undo).

    Raises:
      ValueError: Not JSON, an unknown key, a wrong type, an empty tag, an
        unknown status, no run, or no change; naming the offending value.
    """
    if len(body) > MAX_BODY_BYTES:
        raise ValueError(f"the body is over {MAX_BODY_BYTES} bytes")
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ValueError(f"the body is not JSON: {e}") from None
    if isinstance(parsed, dict) and set(parsed) == {"changes"}:
        items = parsed["changes"]
        if not isinstance(items, list) or not items or len(items) > MAX_RUNS:
            raise ValueError(f"'changes' must be a list of 1 to {MAX_RUNS} changes")
    else:
        items = [parsed]
    changes = [_change(item) for item in items]
    if sum(len(c.runs) for c in changes) > MAX_RUNS:
        raise ValueError(f"at most {MAX_RUNS} runs in one write")
    return changes


def _change(item: Any) -> Change:
    if not isinstance(item, dict):
        raise ValueError("a change must be a JSON object")
    unknown = sorted(set(item) - {"runs", *_CHANGE_KEYS})
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} in the change")
    runs = _strings(item.get("runs"), "runs")
    if not runs:
        raise ValueError("'runs' must name at least one run")
    note = item.get("note")
    if note is not None and not isinstance(note, str):
        raise ValueError("'note' must be a string")
    status = item.get("status")
    if status is not None and status not in metadata.STATUSES:
        raise ValueError(f"'status' must be one of {', '.join(metadata.STATUSES)}; got {status!r}")
    add_tags = _strings(item.get("add_tags", []), "add_tags")
    for tag in add_tags:
        metadata.check_tag(tag)
    change = Change(
        runs=tuple(dict.fromkeys(runs)),
        note=note,
        add_tags=add_tags,
        remove_tags=_strings(item.get("remove_tags", []), "remove_tags"),
        status=status,
        remove_note_ids=_strings(item.get("remove_note_ids", []), "remove_note_ids"),
    )
    if not (
        change.note is not None
        or change.add_tags
        or change.remove_tags
        or change.status
        or change.remove_note_ids
    ):
        raise ValueError("nothing to change: give note, add_tags, remove_tags or status")
    return change


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key!r} must be a list of strings")
    return tuple(value)


def run_directory(logdir: str, run: str) -> str:
    """The directory of a run TensorBoard lists (``"."`` is the log directory).

    Raises:
      ValueError: A run name that would leave the log directory.
    """
    parts = run.split("/")
    if run != "." and any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"run {run!r} is not a directory inside the log directory")
    if run == ".":
        return logdir
    if writer.is_remote(logdir):
        return logdir.rstrip("/") + "/" + run
    return os.path.join(logdir, *parts)


def apply(logdir: str, changes: Iterable[Change], known: Callable[[str], bool]) -> dict[str, Any]:
    """Writes `changes` (runs checked with `known`: the runs the tab lists).

    Returns:
      ``{"runs": {run: metadata after}, "undo": {"changes": [...]}}``; the undo
      holds one change per run that has something to reverse, last change first.

    Raises:
      LookupError: A run not in `known` (nothing is written).
      ValueError, OSError: From the writer, for the run named.
    """
    changes = list(changes)
    for change in changes:
        for run in change.runs:
            if not known(run):
                raise LookupError(f"no run named {run!r}")
            run_directory(logdir, run)
    after: dict[str, Any] = {}
    undo: list[dict[str, Any]] = []
    for change in changes:
        for run in change.runs:
            try:
                edit = writer.edit_run(
                    run_directory(logdir, run),
                    note=change.note,
                    add_tags=change.add_tags,
                    remove_tags=change.remove_tags,
                    status=change.status,
                    remove_note_ids=change.remove_note_ids,
                )
            except (TypeError, ValueError, OSError) as e:
                raise type(e)(f"run {run!r}: {e}") from None
            after[run] = edit.metadata
            if edit.undo:
                undo.insert(0, {"runs": [run], **edit.undo})
    return {"runs": after, "undo": {"changes": undo} if undo else None}
