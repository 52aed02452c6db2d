"""From denoising autoencoders to generative models (kexue.fm/archives/7038).

- :mod:`.mixtures`: Gaussian mixtures in closed form (density, score, Tweedie denoiser) for checks and figures;
- :mod:`.energy`: denoisers, scalar energies (double backprop), the denoising score matching losses, ``fit``;
- :mod:`.unet`: a noise-conditional score U-Net for images;
- :mod:`.sampling`: plain and annealed Langevin dynamics with a final denoising step;
- :mod:`.dde`: the DDE generator loop (E_p on data, E_q on fakes, G minimising E_p - E_q);
- :mod:`.quality`: a classifier trained here for Fréchet distance and class coverage of samples;
- :mod:`.datasets`: the chapter's image data as small specs (Fashion-MNIST, 8x8 digits) that a cache key can hold;
- :mod:`.experiments`: the chapter's trained artefacts, one cached function and one config of every setting each;
- :mod:`.findings`: the article's numbers and the words the prose uses for what a run measured.
"""

from .datasets import DIGIT_SETS, DigitData, FashionData, Split
from .dde import DDE, dde_loss, latent_batches, mlp_generator, train_dde
from .energy import (
    EnergyMLP,
    NoiseEmbedding,
    denoiser_loss_fn,
    dsm_loss,
    dsm_loss_fn,
    ema_hook,
    fit,
    sample_log_uniform,
)
from .experiments import (
    CODE_VERSION,
    ClassifierConfig,
    DDEConfig,
    EnergyConfig,
    SamplingConfig,
    UNetConfig,
    classifier,
    dde_generator,
    energy,
    samples,
    score_unet,
)
from .findings import (
    ARTICLE,
    annealing_effect,
    best_set,
    class_extremes,
    collapse_verdict,
    compared,
    share_error,
    variety,
)
from .mixtures import GaussianMixture, component_shares, denoiser_rmse, relative_score_error, tweedie_denoiser
from .quality import (
    classifier_outputs,
    compare_samples,
    frechet_distance,
    gaussian_baseline,
    prepare_images,
    sample_quality,
    train_classifier,
)
from .sampling import LangevinResult, SamplerDiverged, geometric_sigmas, langevin, tweedie_step
from .unet import FiLMBlock, ScoreUNet

__all__ = [
    "ARTICLE",
    "CODE_VERSION",
    "ClassifierConfig",
    "DDE",
    "DDEConfig",
    "DIGIT_SETS",
    "DigitData",
    "EnergyConfig",
    "EnergyMLP",
    "FashionData",
    "FiLMBlock",
    "GaussianMixture",
    "LangevinResult",
    "NoiseEmbedding",
    "SamplerDiverged",
    "SamplingConfig",
    "ScoreUNet",
    "Split",
    "UNetConfig",
    "annealing_effect",
    "best_set",
    "class_extremes",
    "classifier",
    "classifier_outputs",
    "collapse_verdict",
    "compare_samples",
    "compared",
    "component_shares",
    "dde_generator",
    "dde_loss",
    "denoiser_loss_fn",
    "denoiser_rmse",
    "dsm_loss",
    "dsm_loss_fn",
    "ema_hook",
    "energy",
    "fit",
    "frechet_distance",
    "gaussian_baseline",
    "geometric_sigmas",
    "langevin",
    "latent_batches",
    "mlp_generator",
    "prepare_images",
    "relative_score_error",
    "sample_log_uniform",
    "sample_quality",
    "samples",
    "score_unet",
    "share_error",
    "train_classifier",
    "train_dde",
    "tweedie_denoiser",
    "tweedie_step",
    "variety",
]
