"""Catalogue search without a search server: DuckDB full-text (Dutch stemmer) plus facet counts."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import duckdb

from wierde.store import duck

FACETS = ("theme", "publisher", "format", "licence", "keyword")


@dataclass(frozen=True)
class SearchDoc:
    """What the index knows of one dataset; facet values are codes (TRAN, CC-BY-4.0, csv, ...)."""

    id: str
    text: str  # titles, descriptions and keywords in every language
    title: str
    modified: str
    facets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    popularity: int = 0


@dataclass(frozen=True)
class SearchResult:
    ids: list[str]
    total: int
    facets: dict[str, list[tuple[str, int]]]


class SearchIndex:
    """Rebuilt whole when the catalogue changes (catalogues are thousands of entries, not millions)."""

    def __init__(self, docs: Sequence[SearchDoc]) -> None:
        self._docs = {d.id: d for d in docs}
        self._lock = threading.Lock()
        self._con = duck.connect(extensions=("fts",))
        self._con.execute("CREATE TABLE docs (id VARCHAR PRIMARY KEY, body VARCHAR)")
        if docs:
            self._con.executemany("INSERT INTO docs VALUES (?, ?)", [(d.id, d.text) for d in docs])
            self._con.execute(
                "PRAGMA create_fts_index('docs', 'id', 'body', stemmer='dutch', stopwords='none', "
                "strip_accents=1, lower=1)"
            )

    def close(self) -> None:
        self._con.close()

    def _matching(self, query: str) -> list[tuple[str, float]]:
        if not query.strip() or not self._docs:
            return [(d.id, 0.0) for d in self._docs.values()]
        with self._lock:
            cursor: duckdb.DuckDBPyConnection = self._con.cursor()
        rows = cursor.execute(
            "SELECT id, score FROM (SELECT id, fts_main_docs.match_bm25(id, ?) AS score FROM docs) "
            "WHERE score IS NOT NULL ORDER BY score DESC, id",
            [query],
        ).fetchall()
        return [(str(r[0]), float(r[1])) for r in rows]

    def search(
        self,
        query: str = "",
        *,
        filters: Mapping[str, Sequence[str]] | None = None,
        allowed: Iterable[str] | None = None,
        sort: str = "relevance",
        offset: int = 0,
        limit: int = 20,
    ) -> SearchResult:
        """Full-text match, then facet filters (AND across facets, OR within one), counted over what `allowed`."""
        allowed_ids = set(allowed) if allowed is not None else None
        hits = [(i, s) for i, s in self._matching(query) if allowed_ids is None or i in allowed_ids]
        wanted = {k: set(v) for k, v in (filters or {}).items() if v}
        docs = [self._docs[i] for i, _ in hits if _passes(self._docs[i], wanted)]
        score = dict(hits)
        docs = _sorted(docs, sort, score, has_query=bool(query.strip()))
        return SearchResult(
            ids=[d.id for d in docs[offset : offset + limit]], total=len(docs), facets=_facet_counts(docs)
        )


def _passes(doc: SearchDoc, wanted: dict[str, set[str]]) -> bool:
    return all(wanted_values & set(doc.facets.get(facet, ())) for facet, wanted_values in wanted.items())


def _sorted(docs: list[SearchDoc], sort: str, score: dict[str, float], *, has_query: bool) -> list[SearchDoc]:
    if sort == "modified":
        return sorted(docs, key=lambda d: (d.modified, d.id), reverse=True)
    if sort == "title":
        return sorted(docs, key=lambda d: d.title.casefold())
    if sort == "popular":
        return sorted(docs, key=lambda d: (-d.popularity, d.title.casefold()))
    if has_query:
        return sorted(docs, key=lambda d: (-score.get(d.id, 0.0), d.title.casefold()))
    return sorted(docs, key=lambda d: d.title.casefold())


def _facet_counts(docs: Iterable[SearchDoc]) -> dict[str, list[tuple[str, int]]]:
    counters: dict[str, Counter[str]] = {f: Counter() for f in FACETS}
    for doc in docs:
        for facet in FACETS:
            counters[facet].update(set(doc.facets.get(facet, ())))
    return {f: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for f, c in counters.items()}
