"""Token tagging (kexue.tagging) and the depth gap it measures for Theseus (kexue.theseus.depth)."""

import pytest
import torch

from kexue import theseus
from kexue.data.peoples_daily import Sentence
from kexue.tagging import (TokenClassifier, encode_tagged, sentence_accuracies, tag_labels, tag_set, token_loss,
                           token_predictions)
from kexue.text import IGNORE


def _sentence(words, tags):
    return Sentence(tuple(words), tuple(tags), article=0, paragraph=0)


def test_tag_set_and_labels():
    sentences = [_sentence(["欧拉", "是", "数学家"], ["nr", "v", "n"]), _sentence(["他", "是"], ["r", "v"])]
    assert tag_set(sentences) == ["v", "n", "nr", "r"]  # most frequent first, ties by name
    assert tag_labels(["v", "n"]) == ["B-v", "I-v", "B-n", "I-n"]
    with pytest.raises(ValueError, match="no tags"):
        tag_labels([])


def test_encode_tagged_gives_b_to_the_first_token_of_a_word_and_ignores_specials(tiny):
    labels = tag_labels(["nr", "v", "n"])
    ids, y = encode_tagged(tiny, [_sentence(["欧拉", "是", "数学家"], ["nr", "v", "n"]),
                                  _sentence(["欧拉", "走"], ["nr", "vd"])], labels)
    b, i = {t: labels.index(f"B-{t}") for t in ("nr", "v", "n")}, {t: labels.index(f"I-{t}") for t in ("nr", "n")}
    assert y[0].tolist() == [IGNORE, b["nr"], i["nr"], b["v"], b["n"], i["n"], i["n"], IGNORE]
    assert ids[0, 0] == tiny.cls_id and ids[0, 7] == tiny.sep_id
    # a tag outside the label set ("vd") is not scored; padding is not scored
    assert y[1].tolist() == [IGNORE, b["nr"], i["nr"], IGNORE, IGNORE] + [IGNORE] * 3
    assert (ids[1, 5:] == tiny.pad_id).all()
    short, y_short = encode_tagged(tiny, [_sentence(["欧拉", "是", "数学家"], ["nr", "v", "n"])], labels, max_length=4)
    assert short.shape == (1, 4) and y_short[0].tolist() == [IGNORE, b["nr"], i["nr"], IGNORE]
    with pytest.raises(ValueError, match="no sentences"):
        encode_tagged(tiny, [], labels)


def test_token_classifier_loss_predictions_and_accuracy(tiny):
    torch.manual_seed(0)
    labels = tag_labels(["nr", "v", "n"])
    sentences = [_sentence(["数学家"], ["n"]), _sentence(["欧拉", "是", "数学家"], ["nr", "v", "n"])]
    ids, y = encode_tagged(tiny, sentences, labels)
    padded = torch.cat([ids, torch.full((2, 3), tiny.pad_id)], 1)  # extra padding: cut off inside the model
    model = TokenClassifier(tiny.base, len(labels), tiny.pad_id).eval()
    logits = model(padded)
    assert logits.shape == (2, ids.shape[1], len(labels))
    expected = torch.nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=IGNORE)
    loss = token_loss(model, (padded, torch.cat([y, torch.full((2, 3), IGNORE)], 1)))
    assert loss.item() == pytest.approx(expected.item())
    predicted = token_predictions(model, ids, batch_size=1)  # shortest first, back in order
    assert predicted.shape == ids.shape
    with torch.no_grad():
        assert torch.equal(predicted[1], model(ids[1:]).argmax(-1)[0])
    assert (predicted[0, 5:] == IGNORE).all()  # beyond the first sentence's own batch width
    truth = torch.tensor([[IGNORE, 1, 2, IGNORE], [IGNORE, 0, 0, 0]])
    answers = torch.tensor([[5, 1, 2, 7], [IGNORE, 0, 1, 0]])  # what the specials get does not count
    assert sentence_accuracies(answers, truth).tolist() == [1.0, pytest.approx(2 / 3)]
    with pytest.raises(ValueError, match="at least one labelled token"):
        sentence_accuracies(predicted, torch.full_like(y, IGNORE))
    with pytest.raises(ValueError, match="at least 2 labels"):
        TokenClassifier(tiny.base, 1, tiny.pad_id)


def test_depth_runs_learn_beyond_the_majority_label_and_give_gap_rows(tmp_path, monkeypatch):
    monkeypatch.setenv("KEXUE_CACHE_DIR", str(tmp_path))
    task = theseus.TaggingTask("tiny", n_train=200, n_test=50, max_length=32, batch_size=16)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        accuracies = theseus.depth_gap(task, [4, 1], [0], steps=60, lr=3e-3)
    finally:
        torch.set_num_threads(threads)
    _, labels, data = task.load()
    y = data["y_test"]
    majority = torch.bincount(y[y != IGNORE]).max().item() / (y != IGNORE).sum().item()
    assert accuracies[4].shape == (1, 50) and accuracies[4].mean() > majority + 0.05
    rows = theseus.gap_rows(accuracies)
    assert [r["first layers"] for r in rows] == [1]
    assert rows[0]["whole encoder"] == pytest.approx(accuracies[4].mean().item())
    assert rows[0]["whole minus first layers"].startswith(f"{rows[0]['whole encoder'] - rows[0]['accuracy']:+.3f}")
    assert rows[0]["verdict"] in ("holds", "contradicted", "undetermined at this budget")
    record = {"config": {"steps": 60}, "seeds": [0], "numbers": {"rows": rows, "n_test_sentences": 50}}
    facts = theseus.gap_facts(record)
    assert facts["tagging-depth-deep"] == facts["tagging-depth-shallow"] == 1
    assert facts["tagging-gap-deep"] == rows[0]["whole minus first layers"] and facts["tagging-steps"] == 60
    assert len(list(tmp_path.glob("runs/theseus-depth*"))) == 2
    with pytest.raises(ValueError, match="layers must be in"):
        theseus.depth_run(task, 9, 0, steps=1, lr=1e-3)
