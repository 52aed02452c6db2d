import numpy as np
import pytest
import torch
import torch.nn.functional as F

from kexue import longtail as lt

FASHION_LT_COUNTS = [6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60]


def _random_problem(seed=0, n=64, k=5):
    g = torch.Generator().manual_seed(seed)
    logits = 3 * torch.randn(n, k, generator=g, dtype=torch.float64)
    targets = torch.randint(0, k, (n,), generator=g)
    prior = torch.rand(k, generator=g, dtype=torch.float64) + 0.01
    return logits, targets, prior / prior.sum()


# --- the loss ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tau", [0.0, 1.0, 2.5])
def test_uniform_prior_gives_plain_cross_entropy(tau):
    logits, targets, _ = _random_problem()
    uniform = torch.full((5,), 0.2, dtype=torch.float64)
    assert torch.allclose(lt.logit_adjusted_loss(logits, targets, uniform, tau), F.cross_entropy(logits, targets),
                          rtol=0, atol=1e-12)


@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0, 2.0])
def test_softmax_and_pairwise_forms_agree(tau):
    logits, targets, prior = _random_problem(seed=1)
    a = lt.logit_adjusted_loss(logits, targets, prior, tau)
    b = lt.logit_adjusted_loss_pairwise(logits, targets, prior, tau)
    assert torch.allclose(a, b, rtol=1e-12, atol=1e-12)


def test_tau_zero_is_plain_cross_entropy_whatever_the_prior():
    logits, targets, prior = _random_problem(seed=2)
    assert torch.allclose(lt.logit_adjusted_loss(logits, targets, prior, 0.0), F.cross_entropy(logits, targets))


def test_the_loss_is_minimised_at_the_prior_corrected_log_posterior():
    # For labels drawn from q, E_y[loss] is minimal where softmax(f + tau log pi) = q, i.e. f = log q - tau log pi.
    g = torch.Generator().manual_seed(3)
    q = torch.softmax(torch.randn(6, generator=g, dtype=torch.float64), 0)
    prior = torch.softmax(torch.randn(6, generator=g, dtype=torch.float64), 0)
    for tau in (0.5, 1.0):
        f = (q.log() - tau * prior.log()).requires_grad_()
        all_labels = torch.arange(6)
        per_label = torch.stack([lt.logit_adjusted_loss(f[None], y[None], prior, tau) for y in all_labels])
        (q * per_label).sum().backward()
        assert f.grad.abs().max() < 1e-12


def test_rare_classes_need_a_larger_margin():
    # Same logits, same gap f_y - f_i: the loss is larger when y is the rare class (pi_i / pi_y > 1).
    prior = torch.tensor([0.9, 0.1], dtype=torch.float64)
    logits = torch.tensor([[0.0, 2.0], [2.0, 0.0]], dtype=torch.float64)
    rare_correct = lt.logit_adjusted_loss(logits[:1], torch.tensor([1]), prior)
    head_correct = lt.logit_adjusted_loss(logits[1:], torch.tensor([0]), prior)
    assert rare_correct > head_correct


# --- post-hoc adjustment and prediction rules ---------------------------------------------------------------


def test_post_hoc_with_tau_zero_is_the_identity():
    logits, _, prior = _random_problem(seed=4)
    assert torch.equal(lt.adjust_logits(logits, prior, 0.0), logits)
    assert torch.equal(lt.adjust_logits(logits.float(), prior, 0), logits.float())


def test_post_hoc_adjustment_of_the_bayes_posterior_is_the_balanced_bayes_rule():
    x, y, means = lt.gaussian_toy((1000, 100, 10))
    prior = lt.class_prior(y)
    log_posterior = lt.gaussian_balanced_logits(x, means) + prior.log()  # up to a constant per x
    balanced = lt.adjust_logits(log_posterior, prior, 1.0)
    assert torch.allclose(balanced - balanced[:, :1], (lt.gaussian_balanced_logits(x, means)
                                                       - lt.gaussian_balanced_logits(x, means)[:, :1]), atol=1e-9)


def test_prediction_rules_shift_by_the_log_prior_in_the_right_direction():
    logits, _, prior = _random_problem(seed=5, n=200)
    log_pi = prior.log()
    cases = {
        ("erm", "plain"): logits,
        ("erm", "balanced"): logits - 0.7 * log_pi,
        ("logit_adjusted", "balanced"): logits,
        ("logit_adjusted", "plain"): logits + 0.7 * log_pi,
    }
    for (trained_with, goal), expected in cases.items():
        got = lt.predict(logits, prior, trained_with=trained_with, goal=goal, tau=0.7)
        assert torch.equal(got, expected.argmax(1)), (trained_with, goal)
    assert not torch.equal(cases[("erm", "plain")].argmax(1), cases[("erm", "balanced")].argmax(1))


# --- data ---------------------------------------------------------------------------------------------------


def test_long_tail_counts_match_cifar10_lt_and_fashion_mnist_lt():
    cifar = lt.long_tail_counts(5000, 10, 100)
    assert cifar.tolist() == [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50] and cifar.sum() == 12406
    assert lt.long_tail_counts(6000, 10, 100).tolist() == FASHION_LT_COUNTS
    assert lt.long_tail_counts(100, 3, 1).tolist() == [100, 100, 100]


def test_subsampling_yields_exactly_the_requested_counts():
    labels = np.repeat(np.arange(10), 700)
    np.random.default_rng(0).shuffle(labels)
    idx = lt.long_tail_subsample(labels, 10, n_max=600, seed=1)
    assert np.bincount(labels[idx], minlength=10).tolist() == lt.long_tail_counts(600, 10, 10).tolist()
    assert len(np.unique(idx)) == len(idx) and np.all(np.diff(idx) > 0)
    assert np.array_equal(idx, lt.long_tail_subsample(labels, 10, n_max=600, seed=1))
    assert not np.array_equal(idx, lt.long_tail_subsample(labels, 10, n_max=600, seed=2))
    default = lt.long_tail_subsample(labels, 10, seed=1)  # n_max = smallest class = 700
    assert np.bincount(labels[default])[0] == 700


def test_fashion_mnist_lt_has_the_profile_and_a_balanced_test_set():
    data = lt.fashion_mnist_lt(100)
    assert data.counts.tolist() == FASHION_LT_COUNTS and len(data.y_train) == 14886
    assert np.bincount(data.y_test.numpy()).tolist() == [1000] * 10
    assert torch.allclose(data.prior, torch.tensor(FASHION_LT_COUNTS, dtype=torch.float64) / 14886)
    assert data.x_train.shape == (14886, 1, 28, 28) and 0 <= data.x_train.min() and data.x_train.max() <= 1
    small = lt.fashion_mnist_lt(100, n_max=600, size=14)
    assert small.x_train.shape[1:] == (1, 14, 14) and small.counts.sum() == sum(lt.long_tail_counts(600, 10, 100))


def test_class_prior_counts_and_smooths():
    prior = lt.class_prior(torch.tensor([0, 0, 0, 2]), 4)
    assert prior.tolist() == [0.75, 0.0, 0.25, 0.0]
    smoothed = lt.class_prior(torch.tensor([0, 0, 0, 2]), 4, smoothing=1.0)
    assert smoothed.tolist() == [4 / 8, 1 / 8, 2 / 8, 1 / 8]


# --- metrics ------------------------------------------------------------------------------------------------


def test_metrics_on_a_hand_example():
    targets = torch.tensor([0, 0, 0, 0, 1, 1, 2, 2])
    predictions = torch.tensor([0, 0, 0, 1, 1, 0, 2, 2])
    assert lt.per_class_accuracy(predictions, targets, 3).tolist() == [0.75, 0.5, 1.0]
    assert lt.prior_weighted_accuracy(predictions, targets) == 6 / 8
    assert lt.balanced_accuracy(predictions, targets, 3) == pytest.approx(0.75)
    acc = lt.per_class_accuracy(predictions, targets, 4)
    assert acc[:3].tolist() == [0.75, 0.5, 1.0] and acc[3].isnan()  # class 3 has no test examples
    assert lt.balanced_accuracy(predictions, targets, 4) == pytest.approx(0.75)
    assert not hasattr(lt, "accuracy")  # kexue.train.accuracy(model, x, y) is the one of that name


def test_prior_weighted_accuracy_is_the_accuracy_on_a_test_set_with_that_prior():
    g = torch.Generator().manual_seed(6)
    targets = torch.repeat_interleave(torch.arange(4), torch.tensor([40, 30, 20, 10]))
    predictions = torch.where(torch.rand(100, generator=g) < 0.7, targets, torch.randint(0, 4, (100,), generator=g))
    empirical = lt.class_prior(targets)
    plain = lt.prior_weighted_accuracy(predictions, targets)
    assert plain == pytest.approx((predictions == targets).double().mean().item())
    assert lt.prior_weighted_accuracy(predictions, targets, empirical) == pytest.approx(plain)
    uniform = torch.full((4,), 0.25, dtype=torch.float64)
    balanced = lt.balanced_accuracy(predictions, targets, 4)
    assert lt.prior_weighted_accuracy(predictions, targets, uniform) == pytest.approx(balanced)


def test_groups_split_by_training_count():
    groups = lt.class_groups(FASHION_LT_COUNTS)
    assert groups == {"head": [0, 1, 2], "mid": [3, 4, 5, 6], "tail": [7, 8, 9]}
    assert lt.class_groups([5, 50, 1, 20, 9, 7])["tail"] == [0, 2]


def test_mean_std_over_seeds():
    summary = lt.mean_std_by_key([{"a": 1.0}, {"a": 3.0}])
    assert summary["a"] == pytest.approx((2.0, np.sqrt(2.0)))
    assert lt.mean_std_by_key([{"a": 0.5}])["a"] == (0.5, 0.0)


# --- training: the adjustment helps the rare classes ------------------------------------------------------


def test_on_the_gaussian_toy_both_adjustments_beat_erm_in_balanced_accuracy(one_thread):
    x, y, means = lt.gaussian_toy((1000, 100, 10), seed=0)
    x_test, y_test, _ = lt.gaussian_toy((2000, 2000, 2000), seed=1)
    prior = lt.class_prior(y)
    erm = lt.linear_classifier(x, y, prior=prior, tau=0.0, steps=300)
    la = lt.linear_classifier(x, y, prior=prior, tau=1.0, steps=300)
    with torch.no_grad():
        z_erm, z_la = erm(x_test), la(x_test)
    score = {
        "erm": lt.balanced_accuracy(lt.predict(z_erm, prior, trained_with="erm", goal="plain"), y_test, 3),
        "post-hoc": lt.balanced_accuracy(lt.predict(z_erm, prior, trained_with="erm", goal="balanced"), y_test, 3),
        "la": lt.balanced_accuracy(lt.predict(z_la, prior, trained_with="logit_adjusted", goal="balanced"), y_test, 3),
        "bayes": lt.balanced_accuracy(lt.gaussian_balanced_logits(x_test, means).argmax(1), y_test, 3),
    }
    assert score["post-hoc"] > score["erm"] + 0.05 and score["la"] > score["erm"] + 0.05
    assert score["bayes"] - 0.03 < min(score["post-hoc"], score["la"])


def test_on_fashion_mnist_lt_the_adjusted_cnn_beats_erm_in_balanced_accuracy(one_thread):
    data = lt.fashion_mnist_lt(100, n_max=2000, size=14)  # 4,961 training images
    keep = torch.arange(0, 10000, 4)  # 2,500 balanced test images
    data.x_test, data.y_test = data.x_test[keep], data.y_test[keep]
    erm = lt.cnn_test_logits.uncached(data, tau=0.0, epochs=6, width=16, progress=False)  # test set cut: no key
    la = lt.cnn_test_logits.uncached(data, tau=1.0, epochs=6, width=16, progress=False)
    balanced = {
        "erm": lt.balanced_accuracy(erm.argmax(1), data.y_test, 10),
        "post-hoc": lt.balanced_accuracy(lt.adjust_logits(erm, data.prior).argmax(1), data.y_test, 10),
        "la": lt.balanced_accuracy(la.argmax(1), data.y_test, 10),
    }
    assert balanced["post-hoc"] > balanced["erm"] + 0.05 and balanced["la"] > balanced["erm"] + 0.05


# --- bad input ----------------------------------------------------------------------------------------------


def test_zero_prior_is_refused_with_the_remedy_and_smoothing_fixes_it():
    logits, targets, _ = _random_problem(seed=7, k=4)
    targets = targets % 3  # class 3 never occurs
    prior = lt.class_prior(targets, 4)
    for call in (lambda: lt.logit_adjusted_loss(logits, targets, prior),
                 lambda: lt.adjust_logits(logits, prior),
                 lambda: lt.predict(logits, prior, trained_with="erm", goal="balanced"),
                 lambda: lt.logit_adjusted_loss_fn(prior)):
        with pytest.raises(ValueError, match="smoothing=1.0"):
            call()
    smoothed = lt.class_prior(targets, 4, smoothing=1.0)
    assert torch.isfinite(lt.logit_adjusted_loss(logits, targets, smoothed))
    assert torch.isfinite(lt.adjust_logits(logits, smoothed)).all()


def test_bad_priors_taus_and_shapes_are_refused():
    logits, targets, prior = _random_problem(seed=8)
    with pytest.raises(ValueError, match="sums to"):
        lt.logit_adjusted_loss(logits, targets, prior * 2)
    with pytest.raises(ValueError, match="log-probabilities"):
        lt.adjust_logits(logits, prior.log())
    with pytest.raises(ValueError, match="entries"):
        lt.adjust_logits(logits, torch.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match="tau"):
        lt.logit_adjusted_loss(logits, targets, prior, tau=-1.0)
    with pytest.raises(ValueError, match="tau"):
        lt.adjust_logits(logits, prior, tau=float("nan"))
    assert lt.adjust_logits(logits, prior, tau=np.float32(0.5)).shape == logits.shape  # any real number will do
    with pytest.raises(ValueError, match="targets of shape"):
        lt.logit_adjusted_loss(logits, targets[:-1], prior)
    with pytest.raises(ValueError, match="0..4"):
        lt.logit_adjusted_loss(logits, targets + 5, prior)
    with pytest.raises(TypeError, match="integer"):
        lt.logit_adjusted_loss(logits, targets.double(), prior)
    with pytest.raises(TypeError, match="shape \\(N, K\\)"):
        lt.adjust_logits(logits[0], prior)
    with pytest.raises(ValueError, match="trained_with"):
        lt.predict(logits, prior, trained_with="la", goal="balanced")


def test_bad_long_tail_requests_are_refused():
    with pytest.raises(ValueError, match="rarest class empty"):
        lt.long_tail_counts(50, 10, 100)
    with pytest.raises(ValueError, match=">= 1"):
        lt.long_tail_counts(100, 10, 0.5)
    with pytest.raises(ValueError, match="fewer examples"):
        lt.long_tail_subsample(np.repeat(np.arange(3), [100, 10, 100]), 2, n_max=100)
    with pytest.raises(TypeError, match="integer"):
        lt.long_tail_subsample(np.array([0.0, 1.0]), 2)
    with pytest.raises(ValueError, match="size"):
        lt.fashion_mnist_lt(100, size=7)
