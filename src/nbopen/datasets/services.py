"""The conversion job and the lookups the viewer API needs.

A push to a dataset repository's default branch creates a pending :class:`Conversion` for
the new head and defers :func:`run_conversion`. The job lists the tree, works out configs and
splits, converts each split to Parquet, then computes first rows, statistics and the search
index. A failing split records its error (file, line, reason) and the others still convert;
nothing about the git repository changes, so the repo stays usable whatever the data is.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from nbopen.core import tasks
from nbopen.datasets import images, isolate, layout, storage
from nbopen.datasets.convert import ConversionError
from nbopen.datasets.models import Conversion, SplitResult
from nbopen.datasets.search import INDEX_NAME
from nbopen.datasets.sources import Materialized, RepoFile, describe, sha256_of
from nbopen.repos import cards
from nbopen.repos.git.read import ls_tree, read_blob, resolve
from nbopen.repos.models import Repository

log = logging.getLogger(__name__)
ZERO_SHA = "0" * 40
FIRST_ROWS = 100
FIRST_ROWS_MAX_BYTES = 200_000
KEEP_REVISIONS = 5


def on_push(*, repo: Repository, updates: Iterable[Any]) -> None:
    """Schedule conversion of a dataset repository's new default-branch head."""
    if repo.type != Repository.Type.DATASET:
        return
    for update in updates:
        if update.ref == f"refs/heads/{repo.default_branch}" and update.new != ZERO_SHA:
            schedule(repo=repo, revision=update.new, ref=update.ref)


def schedule(*, repo: Repository, revision: str, ref: str = "") -> Conversion:
    """The conversion of ``revision`` (created pending and queued if new). Idempotent."""
    try:
        with transaction.atomic():
            conversion, created = Conversion.objects.get_or_create(
                repository=repo, revision=revision, defaults={"ref": ref}
            )
    except IntegrityError:
        return Conversion.objects.get(repository=repo, revision=revision)
    if created:
        tasks.defer(run_conversion, conversion.pk)
    return conversion


STALE_AFTER = timedelta(minutes=15)


def current_conversion(repo: Repository) -> Conversion | None:
    """The conversion of the default branch's head (scheduled on first sight), None if empty.

    A job that stopped beating (its process was restarted mid-way) is queued again.
    """
    head = resolve(repo.git_path, repo.default_branch)
    if head is None:
        return None
    found = Conversion.objects.filter(repository=repo, revision=head).first()
    if found is None:
        return schedule(repo=repo, revision=head, ref=f"refs/heads/{repo.default_branch}")
    return _revive_if_stale(found)


def _revive_if_stale(found: Conversion) -> Conversion:
    """Queue ``found`` again if it is unfinished and its job stopped beating."""
    if found.status in {Conversion.Status.PENDING, Conversion.Status.RUNNING}:
        last = found.heartbeat_at or found.started_at or found.created_at
        if timezone.now() - last > STALE_AFTER:
            claimed = Conversion.objects.filter(
                pk=found.pk, status=found.status, heartbeat_at=found.heartbeat_at
            ).update(status=Conversion.Status.PENDING, heartbeat_at=timezone.now())
            if claimed:
                tasks.defer(run_conversion, found.pk)
    return found


def release_interrupted() -> int:
    """Mark every unfinished conversion stale, so the next look at it queues it again.

    For ``nbopen serve`` starting with the in-process task queue (``thread`` or ``sync``):
    those jobs ran, or waited, in the previous server process, which is gone (killed, or
    stopped with jobs queued). Without this, a conversion cut by a crash stayed "running"
    for :data:`STALE_AFTER` before anything noticed. With Celery the broker still holds
    queued jobs and a running one belongs to a worker, so the heartbeat rule alone decides.
    """
    stale = timezone.now() - STALE_AFTER - timedelta(seconds=1)
    return Conversion.objects.filter(
        status__in=[Conversion.Status.PENDING, Conversion.Status.RUNNING]
    ).update(status=Conversion.Status.PENDING, heartbeat_at=stale)


def conversion_at(repo: Repository, rev: str) -> Conversion | None:
    """The conversion of a branch, tag or commit (scheduled if new); None if ``rev`` is unknown."""
    sha = resolve(repo.git_path, rev)
    if sha is None:
        return None
    found = Conversion.objects.filter(repository=repo, revision=sha).first()
    return _revive_if_stale(found) if found else schedule(repo=repo, revision=sha)


def previous_conversion(conversion: Conversion) -> Conversion | None:
    """The last finished conversion of the repository before ``conversion``."""
    return (
        Conversion.objects.filter(
            repository_id=conversion.repository_id,
            status=Conversion.Status.DONE,
            created_at__lt=conversion.created_at,
        )
        .order_by("-created_at")
        .first()
    )


def status(repo: Repository) -> dict[str, Any]:
    """What the dataset page shows about conversion: state, progress, per-split errors.

    ``state`` is "empty", "pending", "running", "done" or "failed"; ``errors`` lists
    ``{"config", "split", "error"}`` (config/split None for a dataset-level failure).
    """
    conversion = current_conversion(repo)
    if conversion is None:
        return {"state": "empty", "progress": 0.0, "errors": [], "version": ""}
    errors: list[dict[str, str | None]] = [
        {"config": s.config, "split": s.split, "error": s.error}
        for s in conversion.splits.filter(status=SplitResult.Status.FAILED)
    ]
    if conversion.status == Conversion.Status.FAILED and not errors:
        errors.append({"config": None, "split": None, "error": conversion.error})
    return {
        "state": str(conversion.status),
        "progress": round(conversion.progress, 3),
        "errors": errors,
        "version": conversion.version,
        "revision": conversion.revision,
    }


def split_files(split: SplitResult) -> list[Path]:
    conv = split.conversion
    base = storage.split_dir(conv.repository_id, conv.revision, split.config, split.split)
    return [base / f["filename"] for f in split.files]


def search_index_path(split: SplitResult) -> Path:
    conv = split.conversion
    return (
        storage.split_dir(conv.repository_id, conv.revision, split.config, split.split) / INDEX_NAME
    )


# The job ---------------------------------------------------------------------------------


@dataclass
class _Plan:
    config: layout.ConfigSpec
    split: layout.SplitSpec
    options: dict[str, str]


class _Progress:
    """Writes the job's progress (and heartbeat) at most once a second."""

    def __init__(self, conversion: Conversion, parts: int) -> None:
        self.conversion = conversion
        self.parts = max(1, parts)
        self.done = 0
        self.last = 0.0

    def part(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self.last < 1.0:
            return
        self.last = now
        value = min(1.0, (self.done + fraction) / self.parts)
        Conversion.objects.filter(pk=self.conversion.pk).update(
            progress=value, heartbeat_at=timezone.now()
        )

    def beat(self) -> None:
        """Still alive (for long steps without a measurable fraction)."""
        self.part(0.0 if self.done >= self.parts else 0.99)


def run_conversion(conversion_id: int) -> None:
    """Convert one revision. Safe to run twice: a finished conversion is left alone."""
    conversion = Conversion.objects.select_related("repository").filter(pk=conversion_id).first()
    if conversion is None or conversion.status in {
        Conversion.Status.DONE,
        Conversion.Status.FAILED,
    }:
        return
    now = timezone.now()
    Conversion.objects.filter(pk=conversion.pk).update(
        status=Conversion.Status.RUNNING, started_at=now, heartbeat_at=now
    )
    try:
        _convert(conversion)
    except (ConversionError, layout.LayoutError) as exc:
        _finish(conversion, Conversion.Status.FAILED, str(exc))
    except Exception as exc:
        log.exception("dataset conversion %s failed", conversion_id)
        _finish(
            conversion, Conversion.Status.FAILED, f"internal error: {type(exc).__name__}: {exc}"
        )
    _cleanup(conversion.repository_id)


def _finish(conversion: Conversion, status: str, error: str = "") -> None:
    Conversion.objects.filter(pk=conversion.pk).update(
        status=status, error=error[:4000], finished_at=timezone.now(), progress=1.0
    )


def _convert(conversion: Conversion) -> None:
    repo = conversion.repository
    git = repo.git_path
    entries = [e for e in ls_tree(git, conversion.revision, recursive=True) if e.type == "blob"]
    by_path = {e.path: e for e in entries}
    card: dict[str, Any] = {}
    readme = by_path.get("README.md")
    if readme is not None and (readme.size or 0) < 1 << 20:
        card = cards.front_matter_data(read_blob(git, readme.oid).decode("utf-8", "replace"))
    configs = [] if "configs" in card else images.infer(sorted(by_path), _json_reader(git, by_path))
    configs = configs or layout.infer_layout(sorted(by_path), card)
    files: dict[str, RepoFile] = {}
    for spec in configs:
        for split in spec.splits:
            for path in split.files:
                files[path] = describe(git, by_path[path])
    plans = _expand_sheets(git, configs, files)
    manifest: dict[str, Any] = {
        "card": {k: v for k, v in card.items() if k != "configs"},
        "files": [
            {
                "path": f.path,
                "size": f.size,
                "sha256": sha256_of(git, f),
                "lfs": f.lfs_oid is not None,
            }
            for f in files.values()
        ],
        "configs": [p.config.name for p in plans],
    }
    Conversion.objects.filter(pk=conversion.pk).update(manifest=manifest)
    results = []
    for position, plan in enumerate(plans):
        results.append(
            SplitResult.objects.update_or_create(
                conversion=conversion,
                config=plan.config.name,
                split=plan.split.name,
                defaults={"position": position, "status": SplitResult.Status.PENDING},
            )[0]
        )
    if not plans:
        _finish(
            conversion,
            Conversion.Status.FAILED,
            "no data files found (csv, tsv, json, jsonl, parquet, xlsx, txt, images, COCO)",
        )
        return
    progress = _Progress(conversion, len(plans))
    for plan, result in zip(plans, results, strict=True):
        _convert_split(conversion, plan, result, [files[p] for p in plan.split.files], progress)
        progress.done += 1
    failed = [r for r in results if r.status == SplitResult.Status.FAILED]
    if len(failed) == len(results):
        _finish(conversion, Conversion.Status.FAILED, failed[0].error)
        return
    from nbopen.datasets.versioning import next_version

    Conversion.objects.filter(pk=conversion.pk).update(version=next_version(conversion))
    # Published before the conversion reads as done, so a client that saw "done" finds the ref.
    _publish_parquet_ref(conversion)
    _finish(conversion, Conversion.Status.DONE)


def _json_reader(git: Path, by_path: dict[str, Any]) -> Any:
    """Reads a small JSON file of the tree (None when big, LFS-stored or invalid)."""

    def read(path: str) -> Any:
        entry = by_path.get(path)
        if entry is None or (entry.size or 0) > images.MAX_COCO_BYTES:
            return None
        try:
            return json.loads(read_blob(git, entry.oid))
        except ValueError:
            return None

    return read


def _image_rows(conversion: Conversion, plan: _Plan, sources: list[RepoFile], target: Path) -> None:
    """The rows of an image split (paths, labels or COCO objects) as JSONL at ``target``."""
    git = conversion.repository.git_path
    if plan.config.format == "imagefolder":
        rows = images.imagefolder_rows([f.path for f in sources])
    else:
        paths = [
            e.path for e in ls_tree(git, conversion.revision, recursive=True) if e.type == "blob"
        ]
        rows = []
        for source in sources:
            with Materialized(git, source, storage.work_dir()) as local:
                try:
                    data = json.loads(local.read_bytes())
                except ValueError as exc:
                    raise ConversionError(f"{source.path}: invalid JSON ({exc})") from None
            rows += images.coco_rows(source.path, data, paths)
    images.write_jsonl(rows, target)


def _publish_parquet_ref(conversion: Conversion) -> None:
    """Put the Parquet on ``refs/convert/parquet`` (a failure there keeps the viewer working)."""
    from nbopen.datasets.parquet_ref import publish

    try:
        publish(conversion)
    except Exception:
        log.exception("publishing refs/convert/parquet failed for %s", conversion)


def _expand_sheets(
    git: Path, configs: list[layout.ConfigSpec], files: dict[str, RepoFile]
) -> list[_Plan]:
    """Excel configs without a ``sheet`` option become one config per sheet (if several)."""
    plans: list[_Plan] = []
    for spec in configs:
        if spec.format != "excel" or "sheet" in spec.options:
            plans.extend(_Plan(spec, split, dict(spec.options)) for split in spec.splits)
            continue
        first = files[spec.splits[0].files[0]]
        with Materialized(git, first, storage.work_dir()) as local:
            try:
                sheets = isolate.run({"op": "sheets", "path": str(local), "origin": first.path})
            except isolate.IsolatedError as exc:
                raise ConversionError(str(exc)) from None
        for sheet in sheets:
            name = (
                spec.name
                if len(sheets) == 1
                else (sheet if spec.name == "default" else f"{spec.name}-{sheet}")
            )
            sub = layout.ConfigSpec(name, spec.format, spec.splits, spec.options, spec.default)
            plans.extend(
                _Plan(sub, split, {**spec.options, "sheet": sheet}) for split in spec.splits
            )
    return plans


def _convert_split(
    conversion: Conversion,
    plan: _Plan,
    result: SplitResult,
    sources: list[RepoFile],
    progress: _Progress,
) -> None:
    """Convert one split in a limited child process (``isolate``) and store what it found."""
    out_dir = storage.split_dir(
        conversion.repository_id, conversion.revision, plan.config.name, plan.split.name
    )
    image_format = plan.config.format in {"imagefolder", "coco"}
    try:
        with contextlib.ExitStack() as stack:
            if image_format:
                # The rows (paths, labels, objects) are a JSONL table converted as any other.
                storage.work_dir().mkdir(parents=True, exist_ok=True)
                table = stack.enter_context(tempfile.TemporaryDirectory(dir=storage.work_dir()))
                rows_file = Path(table) / "rows.jsonl"
                _image_rows(conversion, plan, sources, rows_file)
                local = [[f"{plan.split.name}.jsonl", str(rows_file), rows_file.stat().st_size]]
            else:
                local = [
                    [
                        f.path,
                        str(
                            stack.enter_context(
                                Materialized(conversion.repository.git_path, f, storage.work_dir())
                            )
                        ),
                        f.size,
                    ]
                    for f in sources
                ]
            answer = isolate.run(
                {
                    "op": "split",
                    "fmt": "json" if image_format else plan.config.format,
                    "sources": local,
                    "out_dir": str(out_dir),
                    "options": plan.options,
                    "first_rows": FIRST_ROWS,
                    "first_rows_max_bytes": FIRST_ROWS_MAX_BYTES,
                    "index_name": INDEX_NAME,
                },
                on_progress=progress.part,
                on_beat=progress.beat,
            )
    except (isolate.IsolatedError, ConversionError) as exc:
        shutil.rmtree(out_dir, ignore_errors=True)
        _split_failed(result, str(exc))
        return
    except FileNotFoundError:
        # A pointer was pushed but its LFS object never was (git lfs push skipped, or a
        # storage outage): say which file, the rest of the dataset still converts.
        shutil.rmtree(out_dir, ignore_errors=True)
        missing = [f.path for f in sources if f.lfs_oid is not None]
        _split_failed(result, f"LFS content missing for {', '.join(missing) or 'a file'}")
        return
    if image_format:
        # The Hub's Image feature: the viewer shows the column as thumbnails.
        first = answer.get("first_rows") or {}
        for feature in [*answer["features"], *first.get("features", [])]:
            if feature.get("name") == "image":
                feature["type"] = dict(images.FEATURE)
    _describe_split(result, answer, sources)


def _split_failed(result: SplitResult, message: str) -> None:
    result.status = SplitResult.Status.FAILED
    result.error = message[:4000]
    result.save(update_fields=["status", "error"])


def _describe_split(result: SplitResult, answer: dict[str, Any], sources: list[RepoFile]) -> None:
    result.files = answer["files"]
    result.sources = [f.path for f in sources]
    result.features = answer["features"]
    result.num_rows = answer["num_rows"]
    result.num_columns = answer["num_columns"]
    result.bytes_original = sum(f.size for f in sources)
    result.bytes_parquet = sum(int(f["size"]) for f in answer["files"])
    result.bytes_memory = answer["bytes_memory"]
    result.first_rows = answer["first_rows"]
    # Statistics and the search index are separate steps: a failure there keeps the rows.
    for step, reason in (answer.get("skipped") or {}).items():
        log.warning("%s of %s/%s skipped: %s", step, result.config, result.split, reason)
    if answer["statistics"] is not None:
        result.statistics = answer["statistics"]
    result.search_ready = answer["search_ready"]
    result.status = SplitResult.Status.DONE
    result.save()


def _cleanup(repo_id: int) -> None:
    """Keep the outputs of the last few conversions (the versions tab compares them)."""
    keep = set(
        Conversion.objects.filter(repository_id=repo_id)
        .order_by("-created_at")
        .values_list("revision", flat=True)[:KEEP_REVISIONS]
    )
    base = storage.repo_dir(repo_id)
    if not base.exists():
        return
    for child in base.iterdir():
        if child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)
    Conversion.objects.filter(repository_id=repo_id).exclude(revision__in=keep).delete()
