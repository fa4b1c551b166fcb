"""Device handling that must hold on a CPU-only machine."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklstm import LSTMClassifier
from sklstm._backend import get_namespace, gpu_available, is_cupy, to_numpy


def test_import_does_not_import_cupy():
    code = "import sys, sklstm; sklstm.LSTMClassifier(); print('cupy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_cpu_and_auto_namespaces():
    assert get_namespace("cpu") is np
    if not gpu_available():
        assert get_namespace("auto") is np
    assert not is_cupy(np)
    assert isinstance(to_numpy([1, 2]), np.ndarray)


@pytest.mark.skipif(gpu_available(), reason="a GPU is available here")
def test_cuda_without_gpu_says_how_to_install():
    X, y = np.zeros((4, 3)), [0, 1, 0, 1]
    with pytest.raises(ValueError, match=r"pip install \"\.\[gpu\]\""):
        LSTMClassifier(device="cuda").fit(X, y)


def test_unknown_device_is_rejected():
    with pytest.raises(ValueError, match="device"):
        LSTMClassifier(device="tpu").fit(np.zeros((4, 3)), [0, 1, 0, 1])


@pytest.mark.skipif(gpu_available(), reason="a GPU is available here")
def test_auto_falls_back_to_the_cpu_without_a_warning():
    X, y = np.random.RandomState(0).randn(20, 4), [0, 1] * 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        clf = LSTMClassifier(device="auto", max_iter=1, random_state=0).fit(X, y)
        clf.predict(X)
        cpu = LSTMClassifier(device="cpu", max_iter=1, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), cpu.predict_proba(X))
