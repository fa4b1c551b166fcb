"""FSDD spoken digits: word accuracy and CTC character error rate.

Two pipelines on the Free Spoken Digit Dataset (``fsdd/recordings``: the
digits 0-9, fifty recordings each by four speakers, 8 kHz):

* words: ``SpectrogramTransformer -> Normaliser -> LSTMClassifier()``,
  scored by accuracy, the same with ``bidirectional=True`` (words-bi), and
  a soft ``VotingClassifier`` of three bidirectional ones (words-ens); each
  is also scored adapted to the test speakers, through
  ``SpeakerAdaptedClassifier`` (the mel filters warped per speaker: VTLN)
  with the test clips' speakers as groups, from the same fit;
* spelling: the same front end ``-> LSTMTranscriber()`` trained on the digit
  names (``'seven'``), scored by the character error rate of greedy
  decoding (and the share of transcripts that are exactly the word), and
  of ``decoder='lexicon'`` (the likeliest of the ten digit names).

Protocols: the dataset's usual split (recordings 0-4 of every speaker are
the test set) and leave-one-speaker-out (train on three speakers, test on
the fourth, each in turn; the mean is the speaker-independent figure).
Estimators run at their defaults (but for bidirectional words); the front
end is the recipe of the user guide (log-mel from ``fmin=100`` Hz,
``trim_db`` silence trimming, a ``floor_db`` floor below each clip's peak,
per-clip mean removal, ``stack`` frames per step: 3 for words, 2 for
spelling; ``--stack`` sets it for all), and every training set holds a
high-passed and a low-passed copy of each clip (``augment_channels``;
``--no-augment`` leaves them out).

Usage::

    python benchmarks/bench_speech.py --seeds 3            # all, ~35 min
    python benchmarks/bench_speech.py --only words --seeds 3
    python benchmarks/bench_speech.py --only spelling --protocol loso
    python benchmarks/bench_speech.py --only words-bi --protocol loso --stack 1
    python benchmarks/bench_speech.py --only words --no-recipe --front "{'stack': 3}"
    python benchmarks/bench_speech.py --only words-ens --protocol loso --vote 5
"""

import argparse
import ast
import os
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.ensemble import VotingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline

from sklstm import (
    LSTMClassifier,
    LSTMTranscriber,
    Normaliser,
    SpeakerAdaptedClassifier,
    SpectrogramTransformer,
    augment_channels,
)
from sklstm.datasets import DIGIT_WORDS, load_wav_folder
from sklstm.metrics import character_error_rate

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FRONT = dict(sampling_rate=8000, normalise="mean", trim_db=20, floor_db=40, fmin=100)
# the training clips, plus a high-passed and a low-passed copy of each
AUGMENT = dict(sampling_rate=8000, highpass=(80, 300), lowpass=(2000, 3800))


def splits(wavs, protocol):
    """(name, test mask) of each split of the protocol."""
    out = []
    if protocol in ("usual", "both"):
        out.append(("usual split", wavs.index < 5))
    if protocol in ("loso", "both"):
        out += [(f"held out: {s}", wavs.speaker == s) for s in np.unique(wavs.speaker)]
    return out


def ensemble(seed, size=3):
    """Soft vote of ``size`` (``--vote``) bidirectional classifiers (seeds
    ``size * seed`` onwards)."""
    members = [
        (f"seed{i}", LSTMClassifier(bidirectional=True, random_state=i))
        for i in range(size * seed, size * seed + size)
    ]
    return VotingClassifier(members, voting="soft")


MODELS = {
    "words": lambda seed: LSTMClassifier(random_state=seed),
    "words-bi": lambda seed: LSTMClassifier(bidirectional=True, random_state=seed),
    "words-ens": ensemble,
    # greedy first; the lexicon decoder (what decoder='auto' picks for the
    # ten digit names) is scored from the same fit
    "spelling": lambda seed: LSTMTranscriber(decoder="greedy", random_state=seed),
}
# frames joined per LSTM step (SpectrogramTransformer(stack=)): 30 ms for
# words; 20 ms for spelling, which needs a step per character
STACK = {"words": 3, "words-bi": 3, "words-ens": 3, "spelling": 2}


def epochs(model):
    if isinstance(model, VotingClassifier):
        return int(np.mean([m.n_iter_ for m in model.estimators_]))
    return model.n_iter_


def run(task, X, y, test, speakers, seed, front, normaliser=True, augment=True):
    """Fit one pipeline on ~test; return (score, exact, seconds, epochs,
    extra 1, extra 2): for words the accuracy adapted to the test speakers
    and its prediction seconds, for spelling the lexicon CER and accuracy."""
    train_X = [x for x, t in zip(X, test, strict=True) if not t]
    test_X = [x for x, t in zip(X, test, strict=True) if t]
    train_y = y[~test]
    if augment:
        train_X, train_y = augment_channels(
            train_X, train_y, random_state=seed, **AUGMENT
        )
    model = make_pipeline(
        SpectrogramTransformer(**front),
        *([Normaliser()] if normaliser else []),
        MODELS[task](seed),
    )
    if task != "spelling":
        model = SpeakerAdaptedClassifier(model)
    start = time.perf_counter()
    model.fit(train_X, train_y)
    seconds = time.perf_counter() - start
    if task != "spelling":
        acc = float(np.mean(model.estimator_.predict(test_X) == y[test]))
        start = time.perf_counter()
        adapted = model.score(test_X, y[test], groups=speakers[test])
        predict_seconds = time.perf_counter() - start
        return acc, acc, seconds, epochs(model.estimator_[-1]), adapted, predict_seconds
    pred = model.predict(test_X)
    exact = float(np.mean(pred == y[test]))
    cer = character_error_rate(y[test], pred)
    model[-1].set_params(decoder="lexicon")
    lex = model.predict(test_X)
    lex_cer, lex_acc = character_error_rate(y[test], lex), np.mean(lex == y[test])
    return cer, exact, seconds, epochs(model[-1]), lex_cer, lex_acc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=os.environ.get("SKLSTM_DATA", DEFAULT_DATA)
    )
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--only", choices=list(MODELS), default=None)
    parser.add_argument("--protocol", choices=["usual", "loso", "both"], default="both")
    parser.add_argument(
        "--stack", type=int, default=None, help="frames per step for all tasks"
    )
    parser.add_argument(
        "--front",
        default="{}",
        help="SpectrogramTransformer parameters replacing the recipe's, as a "
        "Python dict ('{}' with --no-recipe: the transformer's defaults)",
    )
    parser.add_argument(
        "--no-recipe",
        action="store_true",
        help="start from the transformer's defaults (sampling_rate=8000 only)",
    )
    parser.add_argument("--no-normaliser", action="store_true")
    parser.add_argument(
        "--vote", type=int, default=3, help="classifiers in the words-ens vote"
    )
    parser.add_argument(
        "--no-augment",
        action="store_true",
        help="train on the clips alone, without their filtered copies",
    )
    args = parser.parse_args()
    MODELS["words-ens"] = partial(ensemble, size=args.vote)
    wavs = load_wav_folder(Path(args.data_dir) / "fsdd" / "recordings")
    words = np.array(DIGIT_WORDS)[wavs.target.astype(int)]
    print(
        f"FSDD: {len(wavs.data)} clips, speakers {sorted(set(wavs.speaker.tolist()))}; "
        f"recipe SpectrogramTransformer({FRONT}, stack=...)"
    )
    if not args.no_augment:
        print(f"training clips augmented: augment_channels(**{AUGMENT})")
    tasks = [args.only] if args.only else list(MODELS)
    warnings.simplefilter("ignore", ConvergenceWarning)
    for task in tasks:
        metric = "CER" if task == "spelling" else "accuracy"
        stack = STACK[task] if args.stack is None else args.stack
        front = {"sampling_rate": 8000} if args.no_recipe else {**FRONT, "stack": stack}
        front.update(ast.literal_eval(args.front))
        model = MODELS[task](0)
        if not isinstance(model, VotingClassifier):
            model.set_params(random_state=None)
        seeds = f"seeds 0-{args.seeds - 1}"
        print(f"\n{task}: SpectrogramTransformer({front}), {model}, {seeds}")
        extra = (
            "  lexicon: CER  words" if task == "spelling" else "  adapted  predict s"
        )
        print(
            f"{'split':<22} {metric:>9} {'exact':>7} {'epochs':>7} {'train s':>8}"
            + extra
        )
        held_out = []
        for name, test in splits(wavs, args.protocol):
            for seed in range(args.seeds):
                row = run(
                    task,
                    wavs.data,
                    words,
                    test,
                    wavs.speaker,
                    seed,
                    front,
                    not args.no_normaliser,
                    not args.no_augment,
                )
                score, exact, seconds, epochs, extra1, extra2 = row
                line = (
                    f"{name:<22} {score:>9.4f} {exact:>7.3f} {epochs:>7d} "
                    f"{seconds:>8.1f}"
                )
                if task == "spelling":
                    line += f"  {extra1:>12.4f} {extra2:>6.3f}"
                else:
                    line += f"  {extra1:>7.4f} {extra2:>10.1f}"
                print(line, flush=True)
                if name.startswith("held out"):
                    held_out.append(row)
        if held_out:
            means = np.mean([[r[0], r[1]] for r in held_out], axis=0)
            line = f"{'speaker-independent':<22} {means[0]:>9.4f} {means[1]:>7.3f}"
            if task == "spelling":
                lex = np.mean([[r[4], r[5]] for r in held_out], axis=0)
                line += f" {'':>16}  {lex[0]:>12.4f} {lex[1]:>6.3f}"
            else:
                adapted = np.mean([r[4] for r in held_out])
                line += f" {'':>16}  {adapted:>7.4f}"
            print(line + f"  (mean of {len(held_out)} held-out fits)")


if __name__ == "__main__":
    main()
