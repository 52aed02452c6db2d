"""The numbers and verdict words the chapter's sentences show (glued into the prose), computed from the runs,
so that every build, whatever its profile, says only what its own tables say.

:func:`facts` returns {name: value}; the chapter glues every entry as ``theseus-<name>``.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..report import verdict
from .claims import PAPER, SU_IFLYTEK, depths, mean_accuracies


def standard_error(accuracy: float, n: int) -> float:
    """Standard error of an accuracy measured on ``n`` independent test examples: sqrt(a (1 - a) / n)."""
    if n < 1:
        raise ValueError(f"an accuracy needs at least one test example, got n={n}")
    return math.sqrt(accuracy * (1 - accuracy) / n)


def gap_verdict(theseus_acc: float, direct_acc: float, n_test: int, *, z: float = 2.0) -> str:
    """Where the gap d = a_theseus - a_direct lies: d ± z sqrt(se_t² + se_d²) against zero, through
    :func:`kexue.report.verdict` ("holds": Theseus ahead beyond the noise, "contradicted": behind)."""
    d = theseus_acc - direct_acc
    half = z * math.hypot(standard_error(theseus_acc, n_test), standard_error(direct_acc, n_test))
    return verdict(d - half, d + half)


_GAP_WORDS = {"holds": "ahead of direct fine-tuning beyond the noise",
              "contradicted": "behind direct fine-tuning beyond the noise",
              "undetermined at this budget": "within the noise of direct fine-tuning"}


def claim_verdict(verdicts: Sequence[str]) -> str:
    """Su's claim (Theseus beats direct fine-tuning) against the verdicts at each depth."""
    if all(v == "holds" for v in verdicts):
        return "holds"
    if all(v == "contradicted" for v in verdicts):
        return "does not hold"
    if any(v == "contradicted" for v in verdicts):
        return "does not hold at every depth"
    return "is not settled"


def _seeds(count: int) -> str:
    return "one seed" if count == 1 else f"{count} seeds"


def _dev_at(history: Any, last_step: int) -> float:
    """Validation accuracy at the last evaluation at or before ``last_step`` (the first one if none is)."""
    before = [i for i, step in enumerate(history.eval_steps) if step <= last_step]
    return history.metric("dev accuracy")[before[-1] if before else 0]


def facts(results: dict, rows: Sequence[dict], run: Any) -> dict[str, Any]:
    """The chapter's numbers: Su's gaps, ours (in points) and their verdicts, the teacher's lead, the speed-ups,
    the curves at the end of the replacing phase, and the step budget (``run``: the chapter's
    :class:`kexue.runtime.Run`; ``rows`` from :func:`summary`)."""
    acc = mean_accuracies(rows)
    by_key = {row["key"]: row for row in rows}
    deep, shallow = depths(run.seeds)
    su = SU_IFLYTEK
    verdicts = {n: gap_verdict(acc[("theseus", n)], acc[("direct", n)], run.n_test) for n in (deep, shallow)}
    noise = 2 * math.sqrt(2) * standard_error(acc[("direct", deep)], run.n_test)
    layers = by_key["full"]["layers"]
    times = {n: (by_key[("direct", n)]["time per batch (s)"], by_key[("theseus", n)]["time per batch (s)"])
             for n in (deep, shallow)}
    spread = max(abs(a - b) / ((a + b) / 2) for a, b in times.values())
    first = {n: min(run.seeds[n]) for n in (deep, shallow)}
    theseus_history = results[("theseus", shallow, first[shallow])]["history"]
    direct_history = results[("direct", shallow, first[shallow])]["history"]
    dev_labels = results["data"]["y_dev"]
    majority = max(float((dev_labels == c).float().mean()) for c in dev_labels.unique())
    return {
        "su-gap-6": su[("theseus", 6)] - su[("direct", 6)],
        "su-gap-3": su[("theseus", 3)] - su[("direct", 3)],
        "su-full": su["full"],
        "su-direct-6": su[("direct", 6)],
        "paper-speed-up": PAPER["speed_up_6"],
        "layers": layers,
        "deep": deep,
        "shallow": shallow,
        "profile": run.profile,
        "n-test": run.n_test,
        "steps": run.steps,
        "replacing-steps": run.replacing_steps,
        "successor-steps": run.steps - run.replacing_steps,
        "predecessor-steps": run.predecessor_steps,
        "batch-size": run.batch_size,
        "gap-deep": 100 * (acc[("theseus", deep)] - acc[("direct", deep)]),
        "gap-shallow": 100 * (acc[("theseus", shallow)] - acc[("direct", shallow)]),
        "seeds-deep": _seeds(len(run.seeds[deep])),
        "seeds-shallow": _seeds(len(run.seeds[shallow])),
        "se": 100 * standard_error(acc[("direct", deep)], run.n_test),
        "noise": 100 * noise,
        "verdict-deep": _GAP_WORDS[verdicts[deep]],
        "verdict-shallow": _GAP_WORDS[verdicts[shallow]],
        "claim-verdict": claim_verdict(list(verdicts.values())),
        "predecessor-acc": acc["full"],
        "direct-deep-acc": acc[("direct", deep)],
        "teacher-gap": 100 * (acc["full"] - acc[("direct", deep)]),
        "speed-up-deep": by_key[("theseus", deep)]["speed-up"],
        "speed-up-shallow": by_key[("theseus", shallow)]["speed-up"],
        "depth-ratio-deep": layers / deep,
        "depth-ratio-shallow": layers / shallow,
        "timing-spread": spread,
        "replacing-dev-shallow": _dev_at(theseus_history, run.replacing_steps),
        "final-dev-shallow": theseus_history.metric("dev accuracy")[-1],
        "direct-final-dev-shallow": direct_history.metric("dev accuracy")[-1],
        "predecessor-final-dev": results["predecessor"]["history"].metric("dev accuracy")[-1],
        "majority": majority,
    }
