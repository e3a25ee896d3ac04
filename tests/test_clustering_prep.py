"""Tests of the feature preparation that every clustering model runs behind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.pipeline import Pipeline

from segmentation.clustering_prep import FeaturePrep, feature_name, validate_weights


def _frame(**columns: list) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    index = pd.Index([f"C{i}" for i in range(1, n + 1)], name="customer_id")
    return pd.DataFrame(columns, index=index)


def test_money_is_log_transformed_before_scaling():
    X = _frame(spend=[0.0, np.e - 1, np.e**2 - 1], contacts_per_month=[1.0, 2.0, 3.0])
    prep = FeaturePrep().fit(X)

    logged = prep._logged(X)

    np.testing.assert_allclose(logged["spend"], [0.0, 1.0, 2.0])
    np.testing.assert_allclose(logged["contacts_per_month"], np.log1p([1.0, 2.0, 3.0]))


def test_negative_spend_keeps_its_sign():
    X = _frame(spend=[-(np.e - 1), 0.0, np.e - 1], contacts_per_month=[1.0, 2.0, 3.0])

    logged = FeaturePrep().fit(X)._logged(X)

    np.testing.assert_allclose(logged["spend"], [-1.0, 0.0, 1.0])


def test_standard_scaling_gives_zero_mean_unit_variance():
    X = _frame(spend=[10.0, 100.0, 1000.0, 10000.0], contacts_per_month=[0.0, 1.0, 3.0, 7.0])

    scaled = FeaturePrep(scaler="standard").fit(X).scaled_frame(X)

    np.testing.assert_allclose(scaled.mean(), [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(scaled.std(ddof=0), [1.0, 1.0])


def test_robust_scaling_centres_on_median():
    X = _frame(spend=[10.0, 100.0, 1000.0, 10000.0, 100000.0], contacts_per_month=[0.0, 1.0, 2.0, 3.0, 4.0])

    scaled = FeaturePrep(scaler="robust").fit(X).scaled_frame(X)

    assert scaled["spend"].median() == pytest.approx(0.0)
    assert scaled["contacts_per_month"].median() == pytest.approx(0.0)


def test_shares_skip_the_log_and_are_scaled():
    X = _frame(spend=[1.0, 10.0, 100.0], share_after_sales=[0.0, 0.5, 1.0])

    scaled = FeaturePrep().fit(X).scaled_frame(X)

    np.testing.assert_allclose(scaled["share_after_sales"], [-np.sqrt(1.5), 0.0, np.sqrt(1.5)])


def test_shares_pass_unchanged_when_not_scaled():
    X = _frame(spend=[1.0, 10.0, 100.0], share_after_sales=[0.0, 0.5, 0.8], share_product_consultation=[1.0, 0.5, 0.2])

    scaled = FeaturePrep(scale_shares=False).fit(X).scaled_frame(X)

    np.testing.assert_allclose(scaled["share_after_sales"], [0.0, 0.5, 0.8])
    np.testing.assert_allclose(scaled["share_product_consultation"], [1.0, 0.5, 0.2])


def test_weights_multiply_each_dimension():
    X = _frame(spend=[1.0, 10.0, 100.0], contacts_per_month=[0.0, 1.0, 5.0], share_after_sales=[0.0, 0.5, 1.0])
    prep = FeaturePrep(weights={"value": 2.0, "activity": 0.5, "need": 0.0}, scale_shares=False).fit(X)

    weighted = prep.transform(X)
    unweighted = prep.scaled_frame(X).to_numpy()

    np.testing.assert_allclose(weighted[:, 0], 2.0 * unweighted[:, 0])
    np.testing.assert_allclose(weighted[:, 1], 0.5 * unweighted[:, 1])
    np.testing.assert_allclose(weighted[:, 2], 0.0)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"price": 1.0}, r"unknown dimension\(s\) \['price'\]"),
        ({"value": -1.0}, r"weight of 'value' must be a number >= 0, got -1.0"),
        ({"need": "high"}, r"weight of 'need' must be a number >= 0, got 'high'"),
        ({"need": float("nan")}, r"weight of 'need' must be a number >= 0, got nan"),
    ],
    ids=["unknown-dimension", "negative", "text", "nan"],
)
def test_invalid_weights_raise(weights, message):
    with pytest.raises(ValueError, match=message):
        validate_weights(weights)


def test_missing_weight_counts_as_one():
    assert validate_weights({"value": 0.5}) == {"value": 0.5, "activity": 1.0, "need": 1.0, "loyalty": 1.0}


def test_orders_only_data_notes_missing_need():
    X = _frame(
        spend=[10.0, 200.0, 3000.0],
        orders_per_month=[0.2, 1.0, 3.0],
        contacts_per_month=[0.0, 0.0, 0.0],
        share_after_sales=[0.0, 0.0, 0.0],
        csat_mean_100=[np.nan, np.nan, np.nan],
    )
    X.attrs["dimensions_available"] = {"value": True, "activity": True, "need": False}

    prep = FeaturePrep(lang="en").fit(X)

    assert prep.columns_ == ["spend", "orders_per_month"]
    assert prep.dimensions_missing_ == ["need", "loyalty"]
    assert prep.notes_[0] == "The data lacks these dimensions, so clustering uses the others only: need, loyalty."
    assert "contacts_per_month" in prep.notes_[1]
    assert "csat_mean_100" in prep.notes_[1]


def test_unavailable_dimension_is_dropped_even_if_it_varies():
    X = _frame(spend=[10.0, 200.0, 3000.0], share_after_sales=[0.1, 0.5, 0.9])
    X.attrs["dimensions_available"] = {"value": True, "activity": False, "need": False}

    prep = FeaturePrep().fit(X)

    assert prep.columns_ == ["spend"]
    assert prep.notes_[0] == "数据缺少以下维度，聚类只使用其余维度：活跃度、需求、忠诚度。"


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("days_since_last_contact", [5.0, 90.0, 90.0]),
        ("csat_mean_100", [60.0, 80.0, 70.0]),
        ("contacts_per_month", [2.0, 1.0, 0.0]),
    ],
    ids=["recency-never-is-max", "csat-median", "rate-zero"],
)
def test_nan_fill_rules(column, expected):
    values = {"days_since_last_contact": [5.0, 90.0, np.nan], "csat_mean_100": [60.0, 80.0, np.nan],
              "contacts_per_month": [2.0, 1.0, np.nan]}[column]
    X = _frame(spend=[1.0, 2.0, 3.0], **{column: values})
    prep = FeaturePrep().fit(X)

    filled = X[column].fillna(prep.fill_values_[column])

    np.testing.assert_allclose(filled, expected)


def test_no_usable_column_lists_columns_found():
    X = _frame(name=["a", "b"], spend=[5.0, 5.0])

    with pytest.raises(ValueError, match=r"expected at least one of \['spend'.*found \['name', 'spend'\]"):
        FeaturePrep(lang="en").fit(X)


def test_missing_fit_column_at_transform_is_named():
    X = _frame(spend=[1.0, 10.0, 100.0], contacts_per_month=[0.0, 1.0, 5.0])
    prep = FeaturePrep().fit(X)

    with pytest.raises(ValueError, match=r"columns \['contacts_per_month'\] were used in fit but are missing"):
        prep.transform(X[["spend"]])


def test_unknown_scaler_is_rejected():
    X = _frame(spend=[1.0, 10.0, 100.0])

    with pytest.raises(ValueError, match=r"scaler must be one of \('standard', 'robust'\), got 'minmax'"):
        FeaturePrep(scaler="minmax").fit(X)


def test_prep_works_in_pipeline():
    X = _frame(spend=[10.0, 12.0, 11.0, 5000.0, 5200.0, 4900.0], contacts_per_month=[1.0, 1.1, 0.9, 1.0, 1.2, 0.8])
    pipeline = Pipeline([("prep", FeaturePrep()), ("kmeans", KMeans(n_clusters=2, n_init=10, random_state=0))])

    labels = pipeline.fit_predict(X)

    assert len(set(labels[:3])) == 1
    assert len(set(labels[3:])) == 1
    assert labels[0] != labels[3]
    assert list(pipeline.named_steps["prep"].get_feature_names_out()) == ["spend", "contacts_per_month"]


@pytest.mark.parametrize(
    ("column", "lang", "expected"),
    [("spend", "zh", "消费金额"), ("spend", "en", "spend"), ("unknown_column", "zh", "unknown_column")],
    ids=["zh", "en", "unknown"],
)
def test_feature_name(column, lang, expected):
    assert feature_name(column, lang) == expected
