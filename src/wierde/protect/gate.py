"""The publication gate: the one way a dataset becomes public, after every check has passed, and the ways back out
(withdrawal, and purge where the law requires erasure: the only exception to immutable versions).

`check` lists what is missing, each as a line a steward can act on; `publish` refuses with all of them at once
and otherwise changes the metadata and the status in one transaction, so a dataset is never half published.
Every publication, refusal, withdrawal and purge is in the audit log with who, why and what.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

import yaml

from wierde.catalog import vocab
from wierde.catalog.completeness import MANDATORY, completeness
from wierde.catalog.completeness import label as field_label
from wierde.catalog.editing import yaml_path
from wierde.catalog.model import DatasetMetadata, MetadataError
from wierde.config import Settings
from wierde.errors import Conflict, Forbidden, InvalidInput, NotFound, WierdeError
from wierde.protect import audit, disclosure, purge_views
from wierde.protect.access import Principal, rules_of
from wierde.protect.purge_views import Purged
from wierde.protect.reasons import Reason
from wierde.publish import spatial_copy
from wierde.store.models import Dataset, Version, utcnow
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import Store, json_safe

ACCESS_RIGHTS = {"open": "public", "restricted": "restricted", "non-public": "non-public"}
TYPE_NAMES = {  # Table Schema types as the generated description names them
    "string": ("tekst", "text"), "integer": ("geheel getal", "whole number"), "number": ("getal", "number"),
    "date": ("datum", "date"), "datetime": ("datum en tijd", "date and time"), "year": ("jaar", "year"),
    "boolean": ("ja/nee", "yes/no"), "geometry": ("geometrie", "geometry"),
}
LISTED_COLUMNS = 25
LINEAGE_KEYS = ("view", "indicator", "inputs", "derived_from")  # what a tombstone keeps of its source: no data
log = logging.getLogger(__name__)


# -- what publishing would store --------------------------------------------------------------------------------
def proposed_metadata(store: Store, dataset: DatasetRecord, version: VersionRecord | None, *,
                      licence: str | None = None, theme: str | Sequence[str] | None = None
                      ) -> tuple[dict[str, Any], list[str]]:
    """The metadata `publish` would store: the steward's, with `--licence`/`--theme` and the instance's defaults
    for what is missing (title from the id, a description from the columns, publisher, contact point); and the
    problems with the given options."""
    meta, problems = dict(dataset.meta), []
    if licence:
        try:
            meta["licence"] = vocab.licence(licence).spdx
        except ValueError as error:
            problems.append(str(error))
    codes = [c.strip() for c in (theme.split(",") if isinstance(theme, str) else theme or []) if c.strip()]
    if codes:
        try:
            meta["themes"] = [vocab.theme(code).code for code in codes]
        except ValueError as error:
            problems.append(str(error))
    meta.setdefault("title", {"nl": title_from_id(dataset.id)})
    if not meta.get("description") and version is not None:
        meta["description"] = describe_version(version, hidden=rules_of(dataset).columns)
    _instance_defaults(meta, store.settings, dataset)
    return meta, problems


def title_from_id(dataset_id: str) -> str:
    words = dataset_id.replace("_", " ").replace("-", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def describe_version(version: VersionRecord, hidden: Collection[str] = ()) -> dict[str, str]:
    """A first description from the columns and the size, in Dutch and English, for the steward to improve;
    withheld columns are not named (the description is public)."""
    fields = [f for f in version.fields if f.get("name") not in hidden]
    listed = fields[:LISTED_COLUMNS]
    more = len(fields) - len(listed)
    rows = f"{version.row_count:,}"
    texts = {}
    for lang, index in (("nl", 0), ("en", 1)):
        columns = ", ".join(f"{f['name']} ({TYPE_NAMES.get(str(f.get('type')), (str(f.get('type')),) * 2)[index]})"
                            for f in listed)
        if lang == "nl":
            rest = f" en nog {more} kolommen" if more else ""
            texts[lang] = (f"Tabel met {rows.replace(',', '.')} rijen en {len(fields)} kolommen: {columns}{rest}. "
                           "Deze beschrijving is bij publicatie gemaakt uit de kolommen; vul haar gerust aan.")
        else:
            rest = f" and {more} more columns" if more else ""
            texts[lang] = (f"A table of {rows} rows and {len(fields)} columns: {columns}{rest}. This description was "
                           "made from the columns at publication; please improve it.")
    return texts


def _instance_defaults(meta: dict[str, Any], settings: Settings, dataset: DatasetRecord) -> None:
    if not meta.get("publisher"):
        name = vocab.organisation_name(settings.publisher)
        meta["publisher"] = settings.publisher if name == settings.publisher_name or not settings.publisher_name \
            else {"uri": settings.publisher, "name": settings.publisher_name}
    if not meta.get("contact_point") and settings.contact_email:
        meta["contact_point"] = {"name": settings.contact_name, "email": settings.contact_email}
    meta.setdefault("access_rights", ACCESS_RIGHTS.get(dataset.classification, "non-public"))


# -- the checks ---------------------------------------------------------------------------------------------------
def check(store: Store, dataset_id: str, *, licence: str | None = None,
          theme: str | Sequence[str] | None = None) -> list[str]:
    """Everything that stops the dataset from being published (with these options), one readable line each;
    an empty list: `publish` will succeed."""
    dataset = store.dataset(dataset_id)
    version = _current(store, dataset)
    meta, problems = proposed_metadata(store, dataset, version, licence=licence, theme=theme)
    return problems + _reasons(store, dataset, version, meta)


def _current(store: Store, dataset: DatasetRecord) -> VersionRecord | None:
    if dataset.current_version is None:
        return None
    return store.version(dataset.id, dataset.current_version)


def _reasons(store: Store, dataset: DatasetRecord, version: VersionRecord | None,
             meta: Mapping[str, Any]) -> list[str]:
    if version is None:
        return [Reason("no_data", "no data: ingest a file first (wierde ingest FILE --dataset ID)")]
    if "purged" in version.report:
        return [Reason("purged", f"version {version.number} was purged: ingest new data first",
                       version=version.number)]
    return [*metadata_reasons(meta, dataset), *privacy_reasons(store, dataset), *disclosure_reasons(store, version)]


def metadata_reasons(meta: Mapping[str, Any], dataset: DatasetRecord) -> list[str]:
    """DCAT-AP-NL's mandatory fields, the licence first since `--licence` is how most stewards give it."""
    try:
        parsed = DatasetMetadata.from_mapping(meta, where=f"metadata of {dataset.id}")
    except MetadataError as error:
        problems = error.extra.get("problems")
        lines = problems if isinstance(problems, list) and problems else [error.detail]
        return [Reason("metadata_invalid", f"metadata is not valid: {line}", problem=str(line)) for line in lines]
    out: list[str] = []
    if parsed.licence is None:
        out.append(Reason("no_licence", f"no licence: choose one with --licence ({', '.join(vocab.LICENCES)})"))
    for name in completeness(parsed).missing_at(MANDATORY):
        if name == "licence":
            continue
        hint = f": choose with --theme ({', '.join(vocab.THEMES)})" if name == "themes" else ""
        out.append(Reason("metadata_missing", f"metadata incomplete: {name} ({field_label(name, 'en')}) is missing"
                          f"{hint}", field=name))
    expected = ACCESS_RIGHTS.get(dataset.classification)
    if expected and parsed.access_rights != expected:
        out.append(Reason("access_rights_mismatch", f"metadata says access_rights {parsed.access_rights} but the "
                          f"dataset is {dataset.classification} (expected {expected})", given=parsed.access_rights,
                          classification=dataset.classification, expected=expected))
    return out


def privacy_reasons(store: Store, dataset: DatasetRecord) -> list[str]:
    """Open personal-data findings stop an open dataset; a column only scoped readers get, or a dataset that is
    not open, is already kept from everyone else by the access rules."""
    if dataset.classification != "open":
        return []
    from wierde.protect.privacy.status import open_findings

    try:
        findings = open_findings(store, dataset.id)
    except WierdeError as error:  # a scan that cannot run proves nothing: refuse, saying why
        return [Reason("scan_failed", f"the personal-data scan could not run: {error.detail}", detail=error.detail)]
    except Exception as error:  # a scanner's bug must not publish either; the log keeps the traceback
        log.exception("personal-data scan of %s failed", dataset.id)
        return [Reason("scan_crashed", f"the personal-data scan failed ({type(error).__name__}: {error}); nothing "
                       "is published until it runs", error=f"{type(error).__name__}: {error}")]
    withheld = set(rules_of(dataset).columns)
    out: list[str] = []
    for f in findings:
        if f.column in withheld:
            continue
        where = " inside text" if f.in_text else ""
        out.append(Reason("personal_data", f"unresolved personal data: column {f.column!r} holds {f.kind}{where} "
                          f"({f.share:.0%} of the values checked); resolve it: wierde resolve {dataset.id} --column "
                          f"{f.column} --action drop|pseudonymise|generalise|aggregate|accept",
                          column=f.column, kind=f.kind, in_text=f.in_text, share=f.share))
    return out


def disclosure_reasons(store: Store, version: VersionRecord) -> list[str]:
    try:
        config = disclosure.load_config(store, version.dataset_id)
    except InvalidInput as error:
        return [Reason("disclosure_unreadable", f"the disclosure profile cannot be read: {error.detail}",
                       detail=error.detail)]
    if config is None or disclosure.is_applied(config, version):
        return []
    applied = "with other settings than configured now" if "disclosure" in version.report else "yet"
    return [Reason("disclosure_not_applied", f"disclosure profile {config.profile!r} is configured but not "
                   f"applied to version {version.number} {applied}: run wierde disclosure {version.dataset_id}",
                   profile=config.profile, version=version.number, changed="disclosure" in version.report)]


# -- publishing -----------------------------------------------------------------------------------------------------
def publish(store: Store, principal: Principal, dataset_id: str, *, licence: str | None = None,
            theme: str | Sequence[str] | None = None, purpose: str | None = None) -> DatasetRecord:
    """Publish the dataset (data stewards only), or refuse with every reason at once and change nothing."""
    if not principal.is_steward:
        raise Forbidden("only data stewards may publish a dataset")
    dataset = store.dataset(dataset_id)
    version = _current(store, dataset)
    meta, problems = proposed_metadata(store, dataset, version, licence=licence, theme=theme)
    reasons = problems + _reasons(store, dataset, version, meta)
    why = purpose or principal.purpose
    if reasons or version is None:
        _log(store, principal, "publish", dataset_id, why, "refused", {"reasons": reasons})
        raise Conflict(f"{dataset_id} cannot be published: {len(reasons)} thing(s) to settle first",
                       reasons=reasons)
    record = _commit(store, dataset_id, version.number, meta)
    _mirror(store, dataset_id, record.meta)
    _log(store, principal, "publish", dataset_id, why, "success",
         {"version": version.number, "licence": record.meta.get("licence"), "themes": record.meta.get("themes")})
    return record


def _commit(store: Store, dataset_id: str, checked: int, meta: dict[str, Any]) -> DatasetRecord:
    """Metadata and status in one transaction; refused when another version became current meanwhile."""
    # Who may see what must not wait for the store's snapshot to expire (the store's own set_status does this too;
    # a public Store method for a publication would make this private call unnecessary).
    store._changed()
    try:
        with store.session() as session:
            row = session.get(Dataset, dataset_id, with_for_update=True)
            if row is None:
                raise NotFound(f"dataset {dataset_id!r} does not exist")
            if row.current_version != checked:
                raise Conflict(f"{dataset_id}: version {row.current_version} arrived while version {checked} was "
                               "being checked; publish again to check the new one")
            now = utcnow()
            row.meta, row.updated_at = json_safe(meta), now
            if row.status != "published":
                row.status, row.published_at = "published", now
            session.flush()
            record = DatasetRecord.of(row)
    finally:
        store._changed()
    return record


def _mirror(store: Store, dataset_id: str, meta: Mapping[str, Any]) -> None:
    """The YAML beside the data follows the stored metadata, so a later ingest does not bring the old one back."""
    path = yaml_path(store, dataset_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staged.write_text(yaml.safe_dump(dict(meta), sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    os.replace(staged, path)


def _log(store: Store, principal: Principal, action: str, target: str, purpose: str | None, outcome: str,
         detail: dict[str, Any]) -> None:
    audit.record(store, who=principal.name or principal.kind, kind=principal.kind, action=action, target=target,
                 purpose=purpose, outcome=outcome, client=principal.address or "", detail=detail)


# -- withdrawal and purge -------------------------------------------------------------------------------------------
def withdraw(store: Store, principal: Principal, dataset_id: str, reason: str) -> DatasetRecord:
    """Stop serving a published dataset (data stewards only); the reason and who are in the audit log."""
    if not principal.is_steward:
        raise Forbidden("only data stewards may withdraw a dataset")
    reason = _reason(reason, "withdrawing")
    dataset = store.dataset(dataset_id)
    if dataset.status != "published":
        raise Conflict(f"{dataset_id} is not published (it is {dataset.status}); there is nothing to withdraw")
    record = store.set_status(dataset_id, "withdrawn")
    _log(store, principal, "withdraw", dataset_id, reason, "success",
         {"reason": reason, "version": dataset.current_version})
    return record


def purge(store: Store, principal: Principal, dataset_id: str, version: int, reason: str) -> VersionRecord:
    """Erase a version's data where the law requires it (admins only), and with it every view and indicator version
    computed from it (see `purge_with_views`); returns the version's tombstone."""
    return purge_with_views(store, principal, dataset_id, version, reason).tombstone


def purge_with_views(store: Store, principal: Principal, dataset_id: str, version: int, reason: str) -> Purged:
    """Erase a version's data where the law requires it (admins only): its files are deleted and a tombstone stays
    in the versions table (`report == {"purged": {...}}`); purging the current version makes the dataset
    "purged", served to nobody. Purging a tombstone again removes whatever a crash left behind.

    The rows live on in views and indicators computed from the version, so every such version (views of views and
    indicators on views too, current or not) is purged the same way, its audit entry naming the version it was
    purged because of; each view whose current version went is then refreshed, and each such indicator recomputed,
    from their inputs' current versions, or stays offline, as reported.
    """
    if principal.kind != "admin":
        raise Forbidden("only administrators may purge a version")
    reason = _reason(reason, "purging")
    target = store.version(dataset_id, version)
    derived = purge_views.derived_versions(store, dataset_id, version)  # found before any lineage is buried
    tombstone = _purge_one(store, principal, target, reason)
    origin = f"{dataset_id} v{version}"
    taken = []
    for item in derived:
        _purge_one(store, principal, store.version(item.dataset_id, item.version), reason,
                   cause={"because_of": origin, "via": item.via})
        # asked again after burying: another process may have moved it on since the lineage was read
        taken.append(replace(item, was_current=store.dataset(item.dataset_id).current_version == item.version))
    recoveries, recomputed = purge_views.recover(store, taken)
    for recovery in recoveries:
        _log(store, principal, "refresh", recovery.view, reason, "success" if recovery.refreshed else "failed",
             {"after_purge_of": origin, "version": recovery.version, "status": recovery.status,
              "error": recovery.error})
    for done in recomputed:
        _log(store, principal, "recompute", done.dataset_id, reason, "success" if done.recomputed else "failed",
             {"after_purge_of": origin, "indicator": done.indicator, "version": done.version,
              "status": done.status, "error": done.error})
    return Purged(tombstone, tuple(t for t in taken if t.kind == "view"), tuple(recoveries),
                  tuple(t for t in taken if t.kind == "indicator"), tuple(recomputed))


def _purge_one(store: Store, principal: Principal, target: VersionRecord, reason: str,
               cause: dict[str, str] | None = None) -> VersionRecord:
    """Bury one version (unless it is a tombstone already), delete its files and write the audit entry; `cause`
    says which purge took a view version with it."""
    tombstone = target if "purged" in target.report else _bury(store, principal, target, reason, cause)
    removed = _erase_files(store, target)
    _log(store, principal, "purge", target.dataset_id, reason, "success",
         {"version": target.number, "reason": reason, "files_removed": removed, **(cause or {})})
    return tombstone


def _reason(reason: str | None, doing: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(f"give a reason for {doing} (it goes into the audit log)")
    return text


def _bury(store: Store, principal: Principal, target: VersionRecord, reason: str,
          cause: dict[str, str] | None = None) -> VersionRecord:
    """Replace the version's record by a tombstone, in one transaction with the dataset's status.

    The tombstone keeps the status the dataset had (so a view recomputed after the purge comes back as it was) and
    only the lineage of its source: which view or indicator made it from which input versions, no data."""
    store._changed()
    try:
        with store.session() as session:
            row = session.get(Version, (target.dataset_id, target.number), with_for_update=True)
            dataset = session.get(Dataset, target.dataset_id, with_for_update=True)
            if row is None or dataset is None:
                raise NotFound(f"dataset {target.dataset_id!r} has no version {target.number}")
            purged: dict[str, Any] = {"at": utcnow().isoformat(timespec="seconds"),
                                      "by": principal.name or principal.kind, "reason": reason,
                                      "rows": target.row_count, "bytes": target.byte_size, **(cause or {})}
            if dataset.current_version == target.number:
                purged["status_before"] = dataset.status
                dataset.status, dataset.updated_at = "purged", utcnow()
            row.report = {"purged": purged}
            # a fresh hash: re-ingesting the same content must make a new version, not revive the tombstone
            row.content_hash = f"purged-{uuid.uuid4().hex}"
            # a view's tombstone must still say it is the view's (or the view could never be refreshed again)
            row.source = {k: v for k, v in target.source.items() if k in LINEAGE_KEYS}
            row.row_count, row.byte_size = 0, 0
            session.flush()
            tombstone = VersionRecord.of(row)
    finally:
        store._changed()
    return tombstone


def _erase_files(store: Store, target: VersionRecord) -> list[str]:
    """The version's Parquet file, its privacy report (masked examples are still its data), its sorted copies for
    bbox queries and every cached download (their names do not say which version they hold; all are a cache)."""
    from wierde.protect.privacy.records import report_path

    settings = store.settings
    removed = []
    for path in (settings.data_dir / target.file, report_path(settings, target.dataset_id, target.number)):
        if path.is_file():
            path.unlink()
            removed.append(str(path.relative_to(settings.home)))
    downloads = settings.data_dir / ".cache" / "downloads"  # where create_app keeps the download cache
    cached = [p for p in downloads.iterdir() if p.is_file()] if downloads.is_dir() else []
    for path in cached:  # the folder stays: a running server writes its next downloads there
        path.unlink(missing_ok=True)
    if cached:
        removed.append(f"{len(cached)} cached download(s)")
    version_file = settings.data_dir / target.file
    for path in spatial_copy.copies_of(settings.data_dir, version_file):  # the same rows, sorted for bbox queries
        path.unlink(missing_ok=True)
        removed.append(str(path.relative_to(settings.home)))
    return removed
