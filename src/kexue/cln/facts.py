"""The words and numbers the chapter's sentences show, computed from the run so that no build contradicts its
own tables. Every key is a glue name (``cln-...``) for ``{glue:text}`` in the prose."""

from __future__ import annotations

from typing import Mapping

Scores = Mapping[str, float]
HALF = 0.5  # the conflict accuracy of a task-blind model, averaged over A and B


def side(value: float, level: float) -> str:
    """"above", "below" or "at" ``level``."""
    return "above" if value > level else "below" if value < level else "at"


def criteria_words(a: float, b: float, level: float = HALF) -> str:
    """Where the accuracies under A and under B lie against ``level``: "above 0.5 under both criteria", or
    "above 0.5 under A and below it under B", ..."""
    if side(a, level) == side(b, level):
        return f"{side(a, level)} {level:g} under both criteria"
    return f"{side(a, level)} {level:g} under A and {side(b, level)} it under B"


def condition_verdict(right: Scores, wrong: Scores, level: float = HALF) -> str:
    """Does the condition do what it is for? It does when the conditional model is above ``level`` on the conflict
    pairs under both criteria (it answers them differently under A and B) and the wrong task id brings both
    below ``level`` (the answer follows the task id, not the pair)."""
    held = right["conflict acc A"] > level and right["conflict acc B"] > level
    follows = wrong["conflict acc A"] < level and wrong["conflict acc B"] < level
    if held and follows:
        return ("Yes, in this run: the conditional model answers the conflict pairs differently under A and "
                "under B, and its answer follows the task id, not the pair")
    if held:
        return ("Partly: the conditional model answers the conflict pairs above one half under both criteria, "
                "but the wrong task id does not bring both below one half")
    return ("Not in this run: the conditional model does not answer the conflict pairs above one half under "
            "both criteria")


def f1_words(conditional: Scores, shared: Scores) -> str:
    """Where the conditional model's F1 differs from the shared model's: on both criteria, or on one only."""
    gain_a = conditional["F1 A"] > shared["F1 A"]
    gain_b = conditional["F1 B"] > shared["F1 B"]
    if gain_a and gain_b:
        return "the conditional model is higher on both criteria"
    if gain_a:
        return "the gain is all on A; on B the conditional model is not higher"
    if gain_b:
        return "the gain is all on B; on A the conditional model is not higher"
    return "the conditional model is higher on neither criterion"


def models_above(conditional: Scores, shared: Scores, metric: str, reference: float) -> str:
    """Which of the two trained models score above ``reference`` on ``metric``: "neither model", "the
    conditional model only", "the shared model only" or "both models"."""
    above = (conditional[metric] > reference, shared[metric] > reference)
    return {(False, False): "neither model", (True, False): "the conditional model only",
            (False, True): "the shared model only", (True, True): "both models"}[above]


def comparison_facts(conditional: Scores, wrong: Scores, shared: Scores, always: Scores) -> dict[str, object]:
    """The conflict accuracies, F1 values, verdicts and reference comparisons the chapter's prose glues."""
    facts: dict[str, object] = {}
    for prefix, s in (("c", conditional), ("w", wrong), ("s", shared)):
        facts.update({f"cln-{prefix}-conflict-a": s["conflict acc A"], f"cln-{prefix}-conflict-b": s["conflict acc B"],
                      f"cln-{prefix}-f1-a": s["F1 A"], f"cln-{prefix}-f1-b": s["F1 B"],
                      f"cln-{prefix}-f1-mean": s["F1 mean"]})
    facts["cln-s-conflict-sum"] = shared["conflict acc A"] + shared["conflict acc B"]
    facts["cln-condition-verdict"] = condition_verdict(conditional, wrong)
    facts["cln-c-conflict-words"] = criteria_words(conditional["conflict acc A"], conditional["conflict acc B"])
    facts["cln-w-conflict-words"] = criteria_words(wrong["conflict acc A"], wrong["conflict acc B"])
    facts["cln-f1-words"] = f1_words(conditional, shared)
    facts["cln-always-f1-mean"] = always["F1 mean"]
    facts["cln-f1-mean-above"] = models_above(conditional, shared, "F1 mean", always["F1 mean"])
    facts["cln-f1-a-above"] = models_above(conditional, shared, "F1 A", always["F1 A"])
    return facts
