"""WoBERT's cached runs, tables and glued facts: the configs hold every setting the chapter's profiles give,
the runs on a tiny model, and the words the prose shows for every outcome."""

from pathlib import Path

import json

import pytest
import torch

from kexue import data, tiny_bert, wobert
from kexue.runtime import Run
from kexue.train import History

CHAPTER = Path(__file__).resolve().parents[1] / "book" / "wobert.md"


def chapter_profiles() -> dict[str, dict]:
    """The smoke / book / full sizes exactly as the chapter's first cell writes them."""
    cell = CHAPTER.read_text(encoding="utf-8")
    text = cell[cell.index("smoke = {"): cell.index("counts = [")]
    names: dict = {}
    exec(text, {}, names)
    return {p: names[p] for p in ("smoke", "book", "full")}


def profile_settings(run) -> dict[str, dict]:
    """Every setting of each run, read from the chapter's profile sizes by hand (the cache config the chapter
    built itself before the runs moved into kexue.wobert.runs)."""
    speed = {"model": run.model, "words": run.words, "lengths": run.lengths, "batch": run.speed_batch,
             "repeats": run.repeats, "device": str(run.device)}
    mlm = {"model": run.model, "words": run.words, "prune": run.prune, "n_texts": run.mlm_texts,
           "n_held_out": run.n_held_out, "n_train_reviews": run.n_train_reviews,
           "n_dev_reviews": run.n_dev_reviews, "steps": run.mlm_steps,
           "batch": run.mlm_batch, "max_length": run.mlm_max_length, "lr": run.mlm_lr,
           "eval_every": run.mlm_eval_every, "seed": run.seeds[0]}
    ft = {"mlm": mlm, "steps": run.ft_steps, "batch": run.ft_batch, "max_length": run.ft_max_length,
          "lr": run.ft_lr, "eval_every": run.ft_eval_every, "seeds": run.seeds, "word_models": list(wobert.WORD_MODELS)}
    return {"wobert-speed": speed, "wobert-mlm": mlm, "wobert-sentiment": ft}


@pytest.mark.parametrize("profile", ["smoke", "book", "full"])
@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_configs_hold_every_setting_of_the_profile(profile, device):
    from dataclasses import asdict

    run = Run(profile=profile, device=torch.device(device), seed=0, threads=1, sizes=chapter_profiles()[profile])
    new = {"wobert-speed": wobert.SpeedConfig.from_run(run), "wobert-mlm": wobert.MLMConfig.from_run(run),
           "wobert-sentiment": wobert.SentimentConfig.from_run(run)}
    for name, settings in profile_settings(run).items():
        assert json.loads(json.dumps(asdict(new[name]))) == json.loads(json.dumps(settings))


def test_keep_texts_are_the_texts_of_both_runs():
    config = wobert.MLMConfig(model="tiny", words=10, prune=True, n_texts=5, n_held_out=3, n_train_reviews=4,
                              n_dev_reviews=2, steps=1,
                              batch=2, max_length=16, lr=1e-4, eval_every=1, seed=0)
    texts = wobert.keep_texts(config)
    pd_train, pd_dev = data.load_peoples_daily("train"), data.load_peoples_daily("dev")
    assert texts[:5] == [s.text for s in pd_train[:5]] and texts[5:8] == [s.text for s in pd_dev[:3]]
    assert texts[8:12] == [t for t, _ in data.load_reviews("train")[:4]]
    assert texts[12:] == [t for t, _ in data.load_reviews("dev")[:2]]


def test_runs_on_a_tiny_model_are_cached_and_check_their_words(tmp_path, monkeypatch, tiny):
    monkeypatch.setenv("KEXUE_CACHE_DIR", str(tmp_path))
    run = Run(profile="smoke", device=torch.device("cpu"), seed=0, threads=1, sizes={
        **chapter_profiles()["smoke"], "words": 40, "mlm_texts": 48, "n_held_out": 8, "n_train_reviews": 32,
        "n_dev_reviews": 16,
        "mlm_steps": 2, "ft_steps": 2, "mlm_eval_every": 1, "ft_eval_every": 1, "lengths": [16, 24]})
    words = wobert.select_words(tiny, run.words).words
    with pytest.raises(ValueError, match="config says"):
        wobert.mlm_run(wobert.MLMConfig.from_run(run), words[:-1])
    mlm = wobert.mlm_run(wobert.MLMConfig.from_run(run), words)
    assert set(mlm["histories"]) == {"mean", "random"} and mlm["histories"]["mean"].eval_steps == [0, 1, 2]
    sentiment = wobert.sentiment_run(wobert.SentimentConfig.from_run(run), words)
    assert list(sentiment.histories) == list(sentiment.predictions) == ["characters", *wobert.WORD_MODELS]
    assert all(len(h) == 1 and h[0].eval_steps[-1] == 2 for h in sentiment.histories.values())
    for name, histories in sentiment.histories.items():  # the predictions are the last evaluation's answers
        assert sentiment.predictions[name].shape == (1, 16)
        assert sentiment.correct(name).mean().item() == pytest.approx(histories[0].metric("dev accuracy")[-1])
    difference, low, high = sentiment.difference("words, mean init + MLM")
    assert low <= difference <= high
    assert difference == pytest.approx(float(sentiment.correct("words, mean init + MLM").mean()
                                             - sentiment.correct("characters").mean()))
    assert len(list(tmp_path.glob("runs/wobert-*.pt"))) == 2

    encoder = tiny_bert()
    tokenizer = wobert.add_words(encoder, words)
    speed = wobert.speed_run(wobert.SpeedConfig.from_run(run), tokenizer)
    assert [r["characters"] for r in speed] == [16, 24]
    with pytest.raises(ValueError, match="config says"):
        wobert.speed_run(wobert.SpeedConfig.from_run(Run("smoke", torch.device("cpu"), 0, 1,
                                                         {**run.sizes, "words": 41})), tokenizer)


def test_pooled_ratio_and_reasons(tiny):
    encoder = tiny_bert(mlm=True)
    tokenizer = wobert.add_words(encoder, wobert.select_words(tiny, 100).words)
    texts = [s.text for s in data.load_peoples_daily("dev")[:50]]
    chars = sum(len(encoder.unit_ids(t)) for t in texts)
    assert wobert.pooled_ratio(tokenizer, texts) == chars / sum(len(tokenizer.unit_ids(t)) for t in texts)
    selection = wobert.WordSelection(["a"], {"x": "already one token", "y": "changed by normalisation",
                                             "z": "already one token"})
    assert selection.reasons() == {"already one token": 2, "changed by normalisation": 1}


def history(values: dict[str, list[float]], steps: list[int]) -> History:
    return History(eval_steps=steps, evals=[{k: v[i] for k, v in values.items()} for i in range(len(steps))])


def mlm_history(words, chars, loss, acc):
    return history({"loss on words": words, "loss on characters": chars, "mlm loss": loss, "mlm accuracy": acc},
                   [0, 5, 10])


def test_mlm_facts_say_what_the_losses_say():
    mean = mlm_history([5, 4, 3], [6, 6, 6], [6, 5.5, 5.0], [0.1, 0.2, 0.3])
    rand = mlm_history([6, 5, 4], [5, 5, 5], [6, 5.6, 5.2], [0.1, 0.15, 0.2])
    facts = wobert.mlm_facts({"mean": mean, "random": rand})
    assert facts["mlm-word-wins"] == "at every one of the 3 evaluations"
    assert facts["mlm-char-wins"] == "at none of the 3 evaluations"
    assert facts["mlm-start-verdict"] == "holds here only for the word answers"
    assert (facts["mlm-steps"], facts["mlm-loss-mean"], facts["mlm-acc-random"]) == (10, 5.0, 0.2)
    rand = mlm_history([4, 5, 2], [7, 5, 5], [6, 5.6, 5.2], [0.1, 0.15, 0.2])
    facts = wobert.mlm_facts({"mean": mean, "random": rand})
    assert facts["mlm-word-wins"] == "at 1 of the 3 evaluations"
    assert facts["mlm-start-verdict"] == "holds here only for the character answers"


def speed_rows(speed_ups, lengths=(128, 256, 512), ratio=1.3):
    return [{"characters": L, "char tokens": L, "word tokens": L / ratio, "speed-up": s}
            for L, s in zip(lengths, speed_ups)]


def test_speed_facts_follow_the_measurements():
    config = wobert.SpeedConfig(model="m", words=1, lengths=(128, 256, 512), batch=4, repeats=1, device="cpu")
    facts = wobert.speed_facts(speed_rows([1.1, 1.25, 1.5]), config)
    assert facts["speed-trend"] == "grew with the input length"
    assert facts["speed-vs-ratio"] == "below the length ratio at the shortest input and above it at the longest"
    assert facts["speed-vs-article"] == ("below the article's GPU numbers at 128 characters and above them at "
                                         "256 and 512 characters")
    assert (facts["speed-first"], facts["speed-last-length"], facts["device"]) == (1.1, 512, "cpu")
    facts = wobert.speed_facts(speed_rows([0.3, 0.03], lengths=(32, 64)), config)
    assert facts["speed-trend"] == "fell as the input grew longer"
    assert facts["speed-vs-ratio"] == "below the length ratio at both ends"
    assert facts["speed-vs-article"] == "measured at lengths the article does not report (32 and 64 characters)"
    facts = wobert.speed_facts(speed_rows([1.3, 1.1, 1.2]), config)
    assert facts["speed-trend"] == "did not change steadily with the input length"
    assert facts["speed-vs-article"] == ("above the article's GPU numbers at 128 characters and below them at "
                                         "256 and 512 characters")


def _sentiment_runs(correct: dict[str, int], n: int = 300, seeds: int = 1) -> "wobert.SentimentRuns":
    """Runs whose model ``name`` answers the first ``correct[name]`` of ``n`` reviews right, on every seed."""
    labels = torch.ones(n, dtype=torch.long)
    predictions = {name: (torch.arange(n) < k).long().repeat(seeds, 1) for name, k in correct.items()}
    histories = {name: [history({"dev accuracy": [0.5, 0.6, k / n]}, [0, 20, 40])] * seeds
                 for name, k in correct.items()}
    return wobert.SentimentRuns(histories, predictions, labels)


def test_sentiment_facts_and_tables():
    runs = _sentiment_runs({"characters": 231, "words, mean init": 237, "words, random init": 225,
                            "words, mean init + MLM": 243})
    config = wobert.SentimentConfig(mlm=wobert.MLMConfig("m", 1, True, 1, 1, 1, 300, 1, 1, 1, 1e-4, 1, 0),
                                    steps=40, batch=16, max_length=64, lr=5e-5, eval_every=20, seeds=(0,))
    final = wobert.final_accuracies(runs)
    assert final["characters"] == (0.77, 0.0)
    facts = wobert.sentiment_facts(runs, config)
    assert facts["acc-spread"] == pytest.approx(0.06) and facts["acc-swing"] == pytest.approx(0.15)
    assert facts["acc-se"] == pytest.approx((0.78 * 0.22 / 300) ** 0.5)
    # the word model after MLM answers the same reviews right plus 12 more: +0.04, every resample positive
    assert facts["acc-diff-mlm"] == pytest.approx(0.04) and 0 < facts["acc-low-mlm"] < 0.04 < facts["acc-high-mlm"]
    assert facts["acc-verdict-mlm"] == "contradicted"  # the interval (about +0.018 to +0.062) lies beyond +1 point
    assert facts["acc-diff-mean"] == pytest.approx(0.02) and facts["acc-verdict-mean"] == "undetermined at this budget"
    assert facts["gains-vs-budget"] == "smaller than" and (facts["dev"], facts["seeds"]) == (300, 1)
    rows = wobert.accuracy_rows(final, steps=40, seeds=1)
    assert rows[0] == {"model": "characters", "dev accuracy after 40 steps": 0.77, "seeds": 1}

    same = _sentiment_runs({"characters": 2400, "words, mean init": 2400, "words, mean init + MLM": 2400}, n=3000,
                           seeds=3)
    record = {"seeds": [0, 1, 2], "config": {"steps": 80}, "numbers": {
        "accuracies": {name: [0.8] * 3 for name in ["characters", *wobert.RECORD_WORD_MODELS]}, "n_dev": 3000,
        "differences": {name: dict(zip(("difference", "low", "high"), same.difference(name)))
                        for name in wobert.RECORD_WORD_MODELS}}}
    claims = wobert.claims(layout_size=33808, vocab_size=1000, model="m", pooled={"People's Daily": 1.36,
                           "reviews": 1.33}, speed=speed_rows([1.1, 1.2], lengths=(64, 128)), sentiment=runs,
                           device="cpu", record=record)
    assert claims[0]["ours"] == "33,808 (bert-base-chinese layout); 1,000 (m)"
    assert [c["article"] for c in claims[3:5]] == ["(not reported)", "1.16x (GPU)"]
    assert claims[-1]["article"] == "IFLYTEK 60.31 -> 61.15, TNEWS 56.94 -> 57.05"
    assert claims[-2]["ours"].startswith("+0.040 [") and "(1 seed(s), 300 dev reviews)" in claims[-2]["claim"]
    assert claims[-4]["ours"].startswith("+0.020 [") and claims[-4]["claim"].startswith("accuracy: words, mean init −")
    # identical answers: a zero difference with a zero-width interval, inside ±1 point
    assert claims[-1]["ours"] == "+0.000 [+0.000, +0.000], holds" and "recorded: 3 seeds, 3,000" in claims[-1]["claim"]
    row = wobert.record_rows(record)[2]
    assert row["model"] == "words, mean init + MLM" and row["dev accuracy per seed"] == "0.800, 0.800, 0.800"
    assert row["mean"] == pytest.approx(0.8)
    facts = wobert.record_facts(record)
    assert (facts["record-verdict-mean"], facts["record-verdict-mlm"]) == ("holds", "holds")
    labels = [label for _, label in data.load_reviews("dev")[:3000]]
    assert facts["record-majority"] == max(labels.count(0), labels.count(1)) / len(labels)
    assert facts["record-mlm-min"] == facts["record-mlm-max"] == facts["record-char-min"] == 0.8
    assert facts["record-half-width-points"] == 0.0
    assert (facts["record-seeds"], facts["record-dev"]) == (3, 3000) and facts["record-word-mean"] == pytest.approx(0.8)
    setting = wobert.claims_setting(config, profile="book", device="cpu")
    assert setting.endswith("40 steps; device cpu; seeds [0]") and "300 dev reviews" in setting


def test_the_record_config_is_the_chapter_config_at_record_scale():
    book = wobert.SentimentConfig(mlm=wobert.MLMConfig("m", 1, True, 1, 1, 1, 300, 1, 1, 1, 1e-4, 1, 0),
                                  steps=40, batch=16, max_length=64, lr=5e-5, eval_every=20, seeds=(0,))
    config = wobert.record_config(book)
    assert config.mlm.n_dev_reviews == len(data.load_reviews("dev")) and config.seeds == wobert.RECORD_SEEDS
    assert config.word_models == wobert.RECORD_WORD_MODELS and config.eval_every == config.steps == 40
    plain = wobert.recorded(config)
    assert json.loads(json.dumps(plain)) == plain and plain["seeds"] == list(wobert.RECORD_SEEDS)
    with pytest.raises(ValueError, match="unknown word models"):
        wobert.SentimentConfig(mlm=book.mlm, steps=1, batch=1, max_length=8, lr=1e-4, eval_every=1, seeds=(0,),
                               word_models=("words",))


def test_mlm_rows_take_the_first_and_last_evaluation():
    h = mlm_history([5, 4, 3], [6, 6, 6], [6, 5.5, 5.0], [0.1, 0.2, 0.3])
    rows = wobert.mlm_rows({"mean": h})
    assert [(r["init"], r["step"], r["mlm loss"]) for r in rows] == [("mean", 0, 6), ("mean", 10, 5.0)]


def test_article_and_vocabulary_facts():
    facts = wobert.article_facts()
    assert facts["article-gain-min"] == pytest.approx(0.11) and facts["article-gain-max"] == pytest.approx(0.84)
    assert (facts["article-speed-first-length"], facts["article-speed-last"]) == (128, 1.28)
    vocab = wobert.vocabulary_facts()
    assert vocab["layout"] == vocab["char-vocab"] + wobert.ARTICLE_WORDS
    assert vocab["layout-extra"] == vocab["layout"] - wobert.ARTICLE_VOCAB_SIZE
    assert wobert.length_facts({"People's Daily": 1.25, "reviews": 1.2})["news-vs-reviews"] == "more than"
    same = wobert.length_facts({"People's Daily": 1.25, "reviews": 1.25})
    assert same["news-shrink"] == pytest.approx(0.2) and same["news-vs-reviews"] == "as much as"
