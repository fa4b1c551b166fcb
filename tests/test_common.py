"""scikit-learn's estimator checks over every public estimator."""

import pytest
from sklearn.utils.estimator_checks import (
    check_global_output_transform_pandas,
    check_global_set_output_transform_polars,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_set_output_transform_polars,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

from sklstm import (
    LSTMAnomalyDetector,
    LSTMClassifier,
    LSTMRegressor,
    Normaliser,
    WindowScaledRegressor,
)

# Small, quick settings: the checks fit dozens of times on tiny data.
ESTIMATORS = [
    LSTMClassifier(
        hidden_layer_sizes=16, learning_rate_init=0.01, max_iter=100, random_state=0
    ),
    LSTMRegressor(
        hidden_layer_sizes=16, learning_rate_init=0.01, max_iter=100, random_state=0
    ),
    LSTMAnomalyDetector(  # horizon 1: the checks' 2-D data has few timesteps
        horizon=1,
        hidden_layer_sizes=8,
        learning_rate_init=0.01,
        max_iter=20,
        random_state=0,
    ),
    WindowScaledRegressor(
        LSTMRegressor(
            hidden_layer_sizes=8, learning_rate_init=0.01, max_iter=20, random_state=0
        ),
        normaliser=Normaliser(method="last", per_sequence=True),
    ),
    Normaliser(),
    Normaliser(method="last", per_sequence=True),
    Normaliser(method="minmax", per_sequence=True),
    Normaliser(method="robust", two_d="columns"),
]

EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": (
        "mini-batch training: an integer weight and a repeated sample put the "
        "sample in different batches, so the fits differ (as for MLP)."
    ),
}


# Subset and sample-order invariance ask float64 precision (atol=1e-7, or
# rtol=1e-7) of the predictions; the network computes in float32 and OpenBLAS
# picks other GEMM kernels for a batch of 1 than for one of 20, or sums in
# another order when the samples are shuffled, so predictions agree to a few
# float32 ulps instead (3.7e-7 on the subset check's targets, which the
# regressor standardises and scales back; 1.2e-7 relative on a shuffle).
# test_estimators checks both for every network at float32 precision.
FLOAT32_CHECKS = {
    "check_methods_subset_invariance": (
        "float32 computation: a batch of 1 and one of 20 use different BLAS "
        "kernels, so predictions agree to float32 precision, not to the 1e-7 "
        "this check asks (tested at float32 precision in test_estimators)."
    ),
    "check_methods_sample_order_invariance": (
        "float32 computation: shuffled samples fall into other batches and "
        "BLAS kernels, so predictions agree to float32 precision, not to the "
        "1e-7 this check asks (tested at float32 precision in test_estimators)."
    ),
}


def _expected_failed_checks(estimator):
    # the checks draw their subsets and orders from NumPy's global random
    # state, so whether a float32 difference shows depends on the tests run
    # before: every network may pass or fail them
    if isinstance(estimator, Normaliser):
        return {}
    return {**EXPECTED_FAILURES, **FLOAT32_CHECKS}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# scikit-learn runs these checks on its own transformers only: they are not
# part of parametrize_with_checks.  The polars checks skip without polars.
SET_OUTPUT_CHECKS = [
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_global_output_transform_pandas,
    check_set_output_transform_polars,
    check_global_set_output_transform_polars,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
]


# (the checks fit on a DataFrame and transform an array, as StandardScaler's do)
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.parametrize("check", SET_OUTPUT_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "transformer", [e for e in ESTIMATORS if isinstance(e, Normaliser)], ids=repr
)
def test_set_output_and_feature_names(transformer, check):
    check(type(transformer).__name__, transformer)
