"""Tables of the matching pairs themselves: who is related to whom under which subtask, and the conflict pairs."""

from __future__ import annotations

from typing import Sequence

from ..data.matching import OTHER_ARTICLE, RELATED, SAME_ARTICLE, TASKS, MatchPair


def relation_counts(pairs: Sequence[MatchPair]) -> list[dict[str, object]]:
    """Per subtask: how many pairs of each relation, and their label (a row per subtask, for a table)."""
    rows = []
    for t, name in enumerate(TASKS):
        row: dict[str, object] = {"subtask": name}
        for relation in (RELATED, SAME_ARTICLE, OTHER_ARTICLE):
            chosen = [p for p in pairs if p.task == t and p.relation == relation]
            row[relation] = f"{len(chosen)} (label {chosen[0].label})" if chosen else "–"
        rows.append(row)
    return rows


def example_conflicts(pairs: Sequence[MatchPair], per_kind: int = 1, max_chars: int = 60) -> list[dict[str, object]]:
    """For each length pairing, ``per_kind`` pairs from one article that are not B-related: positive under A,
    negative under B. Rows with the kind, both texts (cut to ``max_chars`` for display) and both labels."""
    clip = lambda text: text if len(text) <= max_chars else text[:max_chars] + "…"  # noqa: E731
    rows = []
    for t in range(3, 6):  # the B subtasks hold the same-article negatives
        chosen = [p for p in pairs if p.task == t and p.relation == SAME_ARTICLE][:per_kind]
        rows += [{"kind": p.kind, "text a": clip(p.a), "text b": clip(p.b), "label A": 1, "label B": 0} for p in chosen]
    return rows
