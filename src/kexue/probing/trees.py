"""Trees from an impact matrix f (f[i, j] = impact of unit j on unit i): pure NumPy, no model.

Constituency (binary, top-down):
* :func:`su_tree` -- Su's split (kexue.fm/archives/7476, ``syntax_parsing.py`` of bojone/perturbed_masking);
* :func:`mart_tree` -- the paper's MART (Wu et al. 2020, ``constituency/decoder.py`` of LividWo/Perturbed-Masking).

A tree is a leaf (a unit index, ``int``) or a tuple of subtrees. Both splits of a span x_a..x_{b-1} pick a
unit x_k and return ``(tree(x_a..x_{k-1}), (x_k, tree(x_{k+1}..x_{b-1})))``: x_k heads the right part,
and an empty part is dropped, so a pair is ``(a, a+1)``.

Dependency: :func:`dependency_scores` turns f into arc scores (index 0 = the root), decoded by
:func:`eisner` (projective) or :func:`chu_liu_edmonds` (any tree). Heads come as an array of length n+1:
``heads[d]`` is the head of word d (1..n, 0 = root) and ``heads[0] = -1``.
"""

from __future__ import annotations

from typing import Callable, Union

import numpy as np

Tree = Union[int, tuple["Tree", ...]]


# -- constituency ---------------------------------------------------------------------------------------
def _top_down(F: np.ndarray, offset: int, pick: Callable[[np.ndarray], tuple[int, float]],
              splits: dict | None = None) -> Tree:
    """Split the span whose block of f is F at x_k, (k, score) = pick(F), recursing into both sides; each
    split goes into ``splits`` as (start, end) -> (offset + k, score)."""
    m = len(F)
    if m == 1:
        return offset
    k, score = pick(F)
    if splits is not None:
        splits[(offset, offset + m)] = (offset + k, float(score))
    left = _top_down(F[:k, :k], offset, pick, splits)
    if k == m - 1:
        return (left, offset + k)
    return (left, (offset + k, _top_down(F[k + 1 :, k + 1 :], offset + k + 1, pick, splits)))


def su_gains(F: np.ndarray) -> np.ndarray:
    """Su's gain of each split k = 1..m-2 of a block F: mean(F[:k,:k]) + mean(F[k:,k:]) - mean(F[:k,k:])
    - mean(F[k:,:k]) (a pair, m = 2, has the one split k = 1 and gain 0)."""
    m = len(F)
    if m == 2:
        return np.zeros(1)
    return np.array([F[:k, :k].mean() + F[k:, k:].mean() - F[:k, k:].mean() - F[k:, :k].mean()
                     for k in range(1, m - 1)])


def _su_pick(F: np.ndarray) -> tuple[int, float]:
    gains = su_gains(F)
    best = int(np.argmax(gains))
    return 1 + best, gains[best]


def su_split(F: np.ndarray) -> int:
    """Su's k in 1..m-2 maximising :func:`su_gains`. The blocks put x_k on the right; a pair splits at k = 1
    (his code: ``[w0, [w1]]``)."""
    return _su_pick(F)[0]


def su_tree(f: np.ndarray, splits: dict | None = None) -> Tree:
    """Su's top-down tree: units inside a part affect each other more than units across parts. ``splits``, a
    dict, receives every split: (start, end) -> (unit where the right part starts, its gain)."""
    return _top_down(np.asarray(f, dtype=float), 0, _su_pick, splits)


def mart_costs(D: np.ndarray) -> np.ndarray:
    """MART's cost of each split k = 1..m-1 over the distance matrix D (LividWo's ``find_best_cut``),

        sum(D[:k,:k]) / 2k + sum(D[k+1:,k+1:]) / 2(m-k) - (sum(D[:k,k+1:]) + sum(D[k+1:,:k])) / k(m-k),

    i.e. close within the parts, far across them. Normalisers and slices are the repository's: the right
    block starts at x_{k+1} although its normaliser counts m-k units, so x_k is scored with neither part,
    and on two clean blocks the split lands one unit early (the left block's last unit heads the right part).
    """
    m = len(D)
    return np.array([
        D[:k, :k].sum() / (2 * k)
        + D[k + 1 :, k + 1 :].sum() / (2 * (m - k))
        - (D[:k, k + 1 :].sum() + D[k + 1 :, :k].sum()) / (k * (m - k))
        for k in range(1, m)
    ])


def _mart_pick(D: np.ndarray) -> tuple[int, float]:
    costs = mart_costs(D)
    best = int(np.argmin(costs))
    return 1 + best, costs[best]


def mart_split(D: np.ndarray) -> int:
    """MART's k in 1..m-1 minimising :func:`mart_costs`."""
    return _mart_pick(D)[0]


def mart_distances(f: np.ndarray) -> np.ndarray:
    """MART's input: D = 1 - softmax over each column of f, with a zero diagonal (as LividWo's ``con_parsing``)."""
    f = np.asarray(f, dtype=float)
    e = np.exp(f - f.max(axis=0, keepdims=True))
    D = 1.0 - e / e.sum(axis=0, keepdims=True)
    np.fill_diagonal(D, 0.0)
    return D


def mart_tree(f: np.ndarray, splits: dict | None = None) -> Tree:
    """The paper's MART tree from an impact matrix f: :func:`mart_split` on :func:`mart_distances` (f);
    ``splits`` as in :func:`su_tree`, with MART's cost as the score."""
    return _top_down(mart_distances(f), 0, _mart_pick, splits)


def leaves(tree: Tree) -> list[int]:
    """Unit indices of a tree, left to right."""
    return [tree] if isinstance(tree, (int, np.integer)) else [u for child in tree for u in leaves(child)]


def brackets(tree: Tree) -> set[tuple[int, int]]:
    """Half-open unit spans of every subtree with two or more units (the whole sentence included)."""
    spans: set[tuple[int, int]] = set()
    if not isinstance(tree, (int, np.integer)):
        units = leaves(tree)
        spans.add((min(units), max(units) + 1))
        for child in tree:
            spans |= brackets(child)
    return spans


def tree_to_brackets(tree: Tree, units: list[str] | None = None) -> str:
    """The tree as text: ``((大 肠) (杆 菌))``, or with indices when ``units`` is None."""
    if isinstance(tree, (int, np.integer)):
        return str(tree) if units is None else units[tree]
    return "(" + " ".join(tree_to_brackets(child, units) for child in tree) + ")"


# -- dependency -----------------------------------------------------------------------------------------
def dependency_scores(f: np.ndarray, root: int | None = None) -> np.ndarray:
    """Arc scores scores[h, d] (index 0 = root, word i is index i+1) from a word-level impact matrix f.

    As the paper's ``dep_parsing.py``: M = f with a root row and column of zeros in front (the root, [CLS]
    there, is never masked, so its column is 0); with a gold ``root`` word r, M's row r becomes (1, 0, .., 0)
    so r prefers the root. Then P = row softmax of M (word d's distribution over heads h) and scores = P^T.
    (The repository divides by ``e.sum(axis=1)`` without keepdims, which broadcasts as a column
    normalisation; we use the row softmax it intends.)
    """
    f = np.asarray(f, dtype=float)
    n = len(f)
    M = np.zeros((n + 1, n + 1))
    M[1:, 1:] = f
    if root is not None:
        if not 0 <= root < n:
            raise ValueError(f"root must be a word index in 0..{n - 1}, got {root}")
        M[root + 1] = 0.0
        M[root + 1, 0] = 1.0
    e = np.exp(M - M.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).T


def _check_scores(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or scores.shape[0] != scores.shape[1] or len(scores) < 2:
        raise ValueError(f"scores must be (n+1, n+1) with n >= 1 words (index 0 = root), got {scores.shape}")
    return scores


def tree_score(scores: np.ndarray, heads: np.ndarray) -> float:
    """Sum of scores[heads[d], d] over the words d = 1..n."""
    d = np.arange(1, len(heads))
    return float(np.asarray(scores)[np.asarray(heads)[1:], d].sum())


def eisner(scores: np.ndarray) -> np.ndarray:
    """Heads of the highest-scoring projective tree (Eisner 1996), scores[h, d]; the root may have several
    dependents, as in the paper's decoder. O(n^3) dynamic programme over spans s..t:

    complete[s, t, dir] / incomplete[s, t, dir], dir = 1 when the head is s (arcs go right), 0 when it is t.
    """
    scores = _check_scores(scores)
    N = len(scores)
    complete = np.zeros((N, N, 2))
    incomplete = np.full((N, N, 2), -np.inf)
    complete_arg = np.zeros((N, N, 2), dtype=int)
    incomplete_arg = np.zeros((N, N), dtype=int)  # the same split serves both directions
    for width in range(1, N):
        for s in range(N - width):
            t = s + width
            # incomplete: arc t -> s (dir 0, never into the root) or s -> t (dir 1) over two complete halves
            halves = complete[s, s:t, 1] + complete[s + 1 : t + 1, t, 0]
            r = s + int(np.argmax(halves))
            incomplete_arg[s, t] = r
            incomplete[s, t, 1] = halves[r - s] + scores[s, t]
            incomplete[s, t, 0] = halves[r - s] + scores[t, s] if s > 0 else -np.inf
            # complete: an incomplete arc extended by a complete span on its far side
            left = complete[s, s:t, 0] + incomplete[s:t, t, 0]
            complete_arg[s, t, 0] = s + int(np.argmax(left))
            complete[s, t, 0] = left.max()
            right = incomplete[s, s + 1 : t + 1, 1] + complete[s + 1 : t + 1, t, 1]
            complete_arg[s, t, 1] = s + 1 + int(np.argmax(right))
            complete[s, t, 1] = right.max()
    heads = np.full(N, -1)
    stack = [(0, N - 1, 1, True)]  # (s, t, dir, complete?)
    while stack:
        s, t, direction, is_complete = stack.pop()
        if s == t:
            continue
        if is_complete:
            r = complete_arg[s, t, direction]
            if direction == 1:
                stack += [(s, r, 1, False), (r, t, 1, True)]
            else:
                stack += [(s, r, 0, True), (r, t, 0, False)]
        else:
            r = incomplete_arg[s, t]
            heads[t if direction == 1 else s] = s if direction == 1 else t
            stack += [(s, r, 1, True), (r + 1, t, 0, True)]
    return heads


def _find_cycle(heads: np.ndarray) -> list[int] | None:
    """Nodes of one cycle in a head array (heads[0] = -1), or None."""
    state = np.zeros(len(heads), dtype=int)  # 0 unseen, 1 on the current path, 2 done
    state[0] = 2
    for start in range(1, len(heads)):
        path, v = [], start
        while state[v] == 0:
            state[v] = 1
            path.append(v)
            v = heads[v]
        if state[v] == 1:
            return path[path.index(v) :]
        state[path] = 2
    return None


def _chu_liu_edmonds(S: np.ndarray) -> np.ndarray:
    """Recursive Chu-Liu/Edmonds on scores S[h, d] with forbidden arcs at -inf (into the root, self-loops)."""
    heads = S.argmax(axis=0)
    heads[0] = -1
    cycle = _find_cycle(heads)
    if cycle is None:
        return heads
    C = np.array(cycle)
    rest = np.array([v for v in range(len(S)) if v not in set(cycle)])  # rest[0] == 0, the root
    c = len(rest)  # the contracted cycle is node c of the smaller graph
    T = np.full((c + 1, c + 1), -np.inf)
    T[:c, :c] = S[np.ix_(rest, rest)]
    # entering the cycle at v from u breaks v's cycle arc: S[u, v] - S[heads[v], v]
    enter = S[np.ix_(rest, C)] - S[heads[C], C]
    T[:c, c] = enter.max(axis=1)
    leave = S[np.ix_(C, rest)]
    T[c, :c] = leave.max(axis=0)
    inner = _chu_liu_edmonds(T)
    result = heads.copy()  # cycle nodes keep their cycle heads except the one entered
    for new, v in enumerate(rest[1:], start=1):
        h = inner[new]
        result[v] = C[leave[:, new].argmax()] if h == c else rest[h]
    u = inner[c]
    result[C[enter[u].argmax()]] = rest[u]
    return result


def chu_liu_edmonds(scores: np.ndarray) -> np.ndarray:
    """Heads of the highest-scoring tree, projective or not (Chu & Liu 1965; Edmonds 1967), scores[h, d];
    the root may have several dependents, as with :func:`eisner`."""
    S = _check_scores(scores).copy()
    S[:, 0] = -np.inf
    np.fill_diagonal(S, -np.inf)
    return _chu_liu_edmonds(S)


def is_tree(heads: np.ndarray) -> bool:
    """Whether heads (heads[0] = -1) give every word 1..n a head in 0..n and a path to the root."""
    heads = np.asarray(heads)
    n = len(heads)
    if heads[0] != -1 or any(not 0 <= h < n or h == d for d, h in enumerate(heads[1:], start=1)):
        return False
    return _find_cycle(heads) is None


def is_projective(heads: np.ndarray) -> bool:
    """Whether no two arcs cross (the root at position 0 counts, as in Eisner's algorithm)."""
    arcs = [tuple(sorted((int(h), d))) for d, h in enumerate(heads) if d > 0]
    return not any(a < c < b < e for a, b in arcs for c, e in arcs)
