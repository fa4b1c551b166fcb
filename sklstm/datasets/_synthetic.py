# sklstm: LSTM networks as scikit-learn estimators.
# BSD 3-Clause License.
"""Synthetic sequence tasks that only a recurrent model can solve."""

import numpy as np
from sklearn.utils import check_random_state


def make_memory_task(
    n_samples=1000, n_timesteps=101, *, n_classes=2, noise=1.0, random_state=None
):
    """Sequences whose class is set by the first timestep alone.

    The first timestep carries the class (one-hot over ``n_classes``
    features); the remaining ``n_timesteps - 1`` steps are Gaussian noise, so
    a model must carry the first value across the whole sequence.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sequences.
    n_timesteps : int, default=101
        Length of every sequence.
    n_classes : int, default=2
        Number of classes.
    noise : float, default=1.0
        Standard deviation of the noise steps.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, n_classes)
        Sequences, float32.
    y : ndarray of shape (n_samples,)
        Class of each sequence (ints).

    Examples
    --------
    >>> from sklstm.datasets import make_memory_task
    >>> X, y = make_memory_task(n_samples=4, n_timesteps=5, random_state=0)
    >>> X.shape, y.shape
    ((4, 5, 2), (4,))
    """
    rng = check_random_state(random_state)
    if n_timesteps < 1 or n_samples < 1 or n_classes < 2:
        raise ValueError("Need n_samples >= 1, n_timesteps >= 1 and n_classes >= 2.")
    y = rng.randint(0, n_classes, n_samples)
    X = (noise * rng.standard_normal((n_samples, n_timesteps, n_classes))).astype(
        np.float32
    )
    X[:, 0] = -1.0
    X[np.arange(n_samples), 0, y] = 1.0
    return X, y


def make_adding_problem(n_samples=1000, n_timesteps=50, *, random_state=None):
    """The adding problem (Hochreiter & Schmidhuber, 1997).

    Each timestep has two features: a value drawn uniformly from [0, 1] and
    a marker that is 1 at exactly two random positions and 0 elsewhere. The
    target is the sum of the two marked values, so the model must find and
    remember values that may lie far apart.  Predicting the mean (1.0)
    gives a mean squared error of about 1/6.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sequences.
    n_timesteps : int, default=50
        Length of every sequence (at least 2).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, 2)
        Values and markers, float32.
    y : ndarray of shape (n_samples,)
        Sum of the marked values.

    Examples
    --------
    >>> from sklstm.datasets import make_adding_problem
    >>> X, y = make_adding_problem(n_samples=3, n_timesteps=10, random_state=0)
    >>> X.shape, y.shape
    ((3, 10, 2), (3,))
    >>> X[:, :, 1].sum(axis=1)
    array([2., 2., 2.], dtype=float32)
    """
    rng = check_random_state(random_state)
    if n_timesteps < 2 or n_samples < 1:
        raise ValueError("Need n_samples >= 1 and n_timesteps >= 2.")
    values = rng.uniform(0, 1, (n_samples, n_timesteps))
    marks = np.zeros((n_samples, n_timesteps))
    first = rng.randint(0, n_timesteps, n_samples)
    second = (first + rng.randint(1, n_timesteps, n_samples)) % n_timesteps
    rows = np.arange(n_samples)
    marks[rows, first] = marks[rows, second] = 1
    X = np.stack([values, marks], axis=-1).astype(np.float32)
    return X, (values * marks).sum(axis=1)
