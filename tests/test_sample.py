"""Tests of the built-in sample data: determinism, realism, planted problems, files and caching."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

from segmentation.cli import main
from segmentation.config import load_config
from segmentation.errors import CalendarCoverageError, ParameterError
from segmentation.sample import (
    SOURCE_FILE,
    ensure_sample,
    generate_sample,
    generate_tables,
    generator_revision,
    read_manifest,
    write_sample,
)
from segmentation.sample_export import EXPORT_HEADERS, PLANTED
from segmentation.sample_segments import SEGMENTS
from segmentation.schema import SCHEMAS, normalise_header
from segmentation.workcalendar import elapsed_minutes, working_minutes

TZ = "Asia/Shanghai"
SMALL = 300
DATA_FILES = ("customers.csv", "orders.csv", "tickets.csv", "followups.csv", "overrides.csv")
NEED = {"产品咨询": "product", "使用咨询": "product", "投诉": "after_sales", "故障": "after_sales",
        "退货": "after_sales", "退款": "after_sales", "升级": "potential", "续约": "potential", "加购": "potential"}


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    return generate_sample()


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate_tables()


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample(tmp_path_factory.mktemp("sample") / "default")


@pytest.fixture(scope="module")
def manifest(sample_dir: Path) -> dict:
    return read_manifest(sample_dir)


def file_hashes(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def read_export(folder: Path, name: str) -> pd.DataFrame:
    encoding = read_manifest(folder)["encodings"][name]
    return pd.read_csv(folder / name, encoding=encoding, dtype=str, keep_default_na=False)


def local(text: pd.Series) -> pd.Series:
    """Parse export text that is a plain naive timestamp; anything else becomes NaT."""
    return pd.to_datetime(text, format="%Y-%m-%d %H:%M:%S", errors="coerce").dt.tz_localize(TZ)


def last_six_months_spend(tables: dict[str, pd.DataFrame]) -> pd.Series:
    customers = tables["customers"]
    active = customers.loc[customers["status"] == "active", "customer_id"]
    orders = tables["orders"]
    window = (orders["order_date"] >= pd.Timestamp("2024-01-01", tz=TZ)) & orders["status"].isin(["paid", "refunded"])
    spend = orders[window].groupby("customer_id")["amount"].sum()
    return spend.reindex(active, fill_value=0.0).clip(lower=0.0)


# --- determinism -----------------------------------------------------------------------------


def test_same_seed_writes_identical_bytes(tmp_path: Path) -> None:
    first = write_sample(tmp_path / "a", SMALL, seed=7)
    second = write_sample(tmp_path / "b", SMALL, seed=7)

    assert file_hashes(first) == file_hashes(second)


def test_other_seed_changes_files(tmp_path: Path) -> None:
    first = file_hashes(write_sample(tmp_path / "a", SMALL, seed=7))
    second = file_hashes(write_sample(tmp_path / "b", SMALL, seed=8))

    for name in DATA_FILES + ("_truth/latent_segments.csv",):
        assert first[name] != second[name], name


def test_files_equal_generated_frames(sample: dict[str, pd.DataFrame], sample_dir: Path) -> None:
    for name in ("customers", "orders", "tickets", "followups", "overrides"):
        written = read_export(sample_dir, f"{name}.csv")
        expected = sample[name].rename(columns=EXPORT_HEADERS[name]).fillna("")

        pd.testing.assert_frame_equal(written, expected.astype(str), check_dtype=False, obj=name)


# --- size, period and realism ----------------------------------------------------------------


def test_row_counts_match_manifest(sample_dir: Path, manifest: dict) -> None:
    for name in DATA_FILES:
        assert len(read_export(sample_dir, name)) == manifest["rows"][name.removesuffix(".csv")], name


def test_default_size_and_volumes(manifest: dict) -> None:
    rows = manifest["rows"]

    assert manifest["n_customers"] == 3000
    assert rows["customers"] == 3000 + 5 + PLANTED["customers"]["missing_customer_id"] \
        + PLANTED["customers"]["exact_duplicate"]
    assert 8 * 3000 <= rows["orders"] <= 14 * 3000
    assert 16 * 3000 <= rows["tickets"] <= 28 * 3000


def test_dates_cover_review_months(tables: dict[str, pd.DataFrame]) -> None:
    for name, column in (("orders", "order_date"), ("tickets", "created_at")):
        times = tables[name][column]
        assert times.min() >= pd.Timestamp("2023-01-01", tz=TZ), name
        assert times.max() < pd.Timestamp("2024-07-01", tz=TZ), name
        assert (times >= pd.Timestamp("2024-06-01", tz=TZ)).sum() > 100, f"{name} in 2024-06"
        assert (times < pd.Timestamp("2023-02-01", tz=TZ)).sum() > 100, f"{name} in 2023-01"


def test_only_planted_dates_outside_period(sample: dict[str, pd.DataFrame]) -> None:
    dates = sample["orders"]["order_date"]
    parsed = local(dates)

    assert parsed.isna().sum() == PLANTED["orders"]["impossible_date"]
    assert (parsed > pd.Timestamp("2024-07-01", tz=TZ)).sum() == PLANTED["orders"]["future_date"]


def test_spend_skewed_with_zeros(tables: dict[str, pd.DataFrame]) -> None:
    spend = last_six_months_spend(tables)
    top_tenth = spend.sort_values(ascending=False).head(len(spend) // 10)

    assert 0.20 <= (spend == 0).mean() <= 0.40
    assert top_tenth.sum() / spend.sum() >= 0.6


# --- latent segments -------------------------------------------------------------------------


def test_segment_shares_as_planned(sample: dict[str, pd.DataFrame]) -> None:
    shares = sample["latent_segments"]["segment"].value_counts(normalize=True)

    for spec in SEGMENTS:
        assert shares[spec.key] == pytest.approx(spec.share, abs=0.03), spec.key


def test_latent_drivers(sample: dict[str, pd.DataFrame]) -> None:
    latent = sample["latent_segments"].set_index("segment")
    dormant = latent.loc["dormant"]

    assert (dormant["expected_spend_next_6m"] == 0).all()
    assert dormant["active_until"].max() <= pd.Timestamp("2024-03-31", tz=TZ)
    assert latent.loc["growth", "trend"].mean() > 0.04
    assert latent["vip_like"].groupby(level=0).all().to_dict() == {
        "dormant": False, "growth": False, "key_account": True, "regular": False, "service_heavy": False}


def test_segments_separable_by_kmeans(tables: dict[str, pd.DataFrame]) -> None:
    latent = tables["latent_segments"].set_index("customer_id")
    spend = last_six_months_spend(tables)
    tickets = tables["tickets"]
    recent = tickets[tickets["created_at"] >= pd.Timestamp("2024-01-01", tz=TZ)]
    needs = pd.crosstab(recent["customer_id"], recent["issue_type"].map(NEED)).reindex(spend.index, fill_value=0)
    shares = needs.div(needs.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)
    csat = recent.groupby("customer_id")["csat_100"].mean().reindex(spend.index)
    last_contact = tickets.groupby("customer_id")["created_at"].max().reindex(spend.index)
    features = pd.DataFrame({
        "log_spend": np.log1p(spend),
        "contacts_per_month": recent.groupby("customer_id").size().reindex(spend.index, fill_value=0) / 6,
        "csat": csat.fillna(csat.median()),
        "recency_days": (pd.Timestamp("2024-07-01", tz=TZ) - last_contact).dt.days.fillna(600),
    }).join(shares)

    clusters = KMeans(5, n_init=10, random_state=0).fit_predict(StandardScaler().fit_transform(features))

    assert adjusted_rand_score(latent.loc[spend.index, "segment"], clusters) >= 0.85


def test_issue_mix_differs_by_segment(tables: dict[str, pd.DataFrame]) -> None:
    segment = tables["latent_segments"].set_index("customer_id")["segment"]
    tickets = tables["tickets"]
    need = tickets["issue_type"].map(NEED)
    dominant = pd.crosstab(tickets["customer_id"].map(segment), need).idxmax(axis=1).to_dict()

    assert dominant == {"dormant": "product", "growth": "potential", "key_account": "after_sales",
                        "regular": "product", "service_heavy": "after_sales"}


# --- service times and satisfaction ----------------------------------------------------------


@pytest.fixture(scope="module")
def answered(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    segment = tables["latent_segments"].set_index("customer_id")["segment"]
    tickets = tables["tickets"].dropna(subset=["first_response_at"]).copy()
    tickets["segment"] = tickets["customer_id"].map(segment)
    config = load_config()
    tickets["elapsed"] = elapsed_minutes(tickets["created_at"], tickets["first_response_at"], config)
    tickets["working"] = working_minutes(tickets["created_at"], tickets["first_response_at"], config)
    return tickets.dropna(subset=["segment"])


def test_vip_first_response_15_minutes(answered: pd.DataFrame) -> None:
    vip = answered[answered["segment"] == "key_account"]
    within = (vip["elapsed"] <= 15).mean()

    assert 0.85 <= within <= 0.97


def test_others_first_response_2_working_hours(answered: pd.DataFrame) -> None:
    others = answered[answered["segment"] != "key_account"]
    within = (others["working"] <= 120).mean()

    assert 0.80 <= within <= 0.95
    assert (others["elapsed"] <= 15).mean() < 0.10


def test_csat_lower_after_slow_response(answered: pd.DataFrame) -> None:
    regular = answered[answered["segment"] == "regular"].dropna(subset=["csat_100"])
    slow = regular["working"] > 120

    assert regular.loc[~slow, "csat_100"].mean() - regular.loc[slow, "csat_100"].mean() >= 15


def test_csat_scale_per_channel(tables: dict[str, pd.DataFrame]) -> None:
    scored = tables["tickets"].dropna(subset=["csat"])
    ranges = scored.groupby("channel")["csat"].agg(["min", "max"]).to_dict("index")

    assert ranges == {"电话": {"min": 1.0, "max": 5.0}, "在线客服": {"min": 0.0, "max": 10.0},
                      "邮件": {"min": 1.0, "max": 5.0}}


# --- planted problems ------------------------------------------------------------------------


def _missing_ids(frames, table):
    return int(frames[table]["customer_id"].isna().sum())


def _duplicates(frames, table):
    return int(frames[table].duplicated().sum())


def _unknown(frames, table):
    known = set(frames["customers"]["customer_id"].dropna())
    ids = frames[table]["customer_id"]
    return int((ids.notna() & ~ids.isin(known)).sum())


COUNTERS = {
    "missing_customer_id": _missing_ids,
    "exact_duplicate": _duplicates,
    "unknown_customer": _unknown,
    "impossible_date": lambda f, t: int(f[t]["order_date"].str.startswith("2023-02-29").sum()),
    "future_date": lambda f, t: int((local(f[t]["order_date"]) > pd.Timestamp("2030-01-01", tz=TZ)).sum()),
    "amount_with_currency_sign": lambda f, t: int(f[t]["amount"].str.match(r"^¥\d{1,3}(,\d{3})*\.\d\d$").sum()),
    "amount_with_yuan_suffix": lambda f, t: int(f[t]["amount"].str.endswith("元").sum()),
    "bad_date": lambda f, t: int(local(f[t]["created_at"]).isna().sum()),
    "resolved_before_created": lambda f, t: int((local(f[t]["resolved_at"]) < local(f[t]["created_at"])).sum()),
    "csat_out_of_scale": lambda f, t: int(((f[t]["channel"] == "电话")
                                           & (pd.to_numeric(f[t]["csat"]) > 5)).sum()),
    "first_response_utc": lambda f, t: int(f[t]["first_response_at"].str.endswith("Z").sum()),
}
PLANTED_CASES = [(table, problem) for table, problems in PLANTED.items() for problem in problems]
PLANTED_CASES.append(("tickets", "first_response_utc"))


@pytest.mark.parametrize(("table", "problem"), PLANTED_CASES, ids=[f"{t}-{p}" for t, p in PLANTED_CASES])
def test_planted_problem_count(sample: dict[str, pd.DataFrame], manifest: dict, table: str, problem: str) -> None:
    found = COUNTERS[problem](sample, table)

    assert found == manifest["problems"][table][problem]
    assert found == PLANTED.get(table, {}).get(problem, found)
    assert found > 0


@pytest.mark.parametrize(("table", "fact", "status_text"), [
    ("customers", "test_account", "测试"),
    ("customers", "churned_customer", "流失"),
    ("orders", "cancelled", "已取消"),
    ("orders", "unpaid", "未支付"),
], ids=["test-accounts", "churned", "cancelled", "unpaid"])
def test_status_counts(sample: dict[str, pd.DataFrame], manifest: dict, table: str, fact: str,
                       status_text: str) -> None:
    frame = sample[table].drop_duplicates()
    expected = manifest["problems"][table][fact]

    assert (frame["status"] == status_text).sum() == expected
    assert expected > 0


def test_refunds_are_negative_lines(sample: dict[str, pd.DataFrame]) -> None:
    orders = sample["orders"]
    refunds = orders[orders["status"] == "已退款"]

    assert len(refunds) > 100
    assert (pd.to_numeric(refunds["amount"]) < 0).all()
    assert refunds["order_id"].str.endswith("-R").all()


def test_leading_zero_ids_in_orders(sample: dict[str, pd.DataFrame], manifest: dict) -> None:
    legacy = sample["customers"]["customer_id"].dropna()
    legacy = set(legacy[legacy.str.match(r"^0\d{7}$")])

    assert len(legacy) == 12
    assert manifest["problems"]["customers"]["leading_zero_id"] == 12
    assert sample["orders"]["customer_id"].isin(legacy).sum() > 0


def test_followups_monthly_with_gaps(sample: dict[str, pd.DataFrame], manifest: dict) -> None:
    latent = sample["latent_segments"].set_index("customer_id")
    followups = sample["followups"]
    facts = manifest["problems"]["followups"]

    assert latent.loc[followups["customer_id"].unique(), "vip_like"].all()
    assert 0 < facts["missing_months"] < facts["eligible_months"]
    assert len(followups) == facts["eligible_months"] - facts["missing_months"]


def test_overrides_one_late_one_expired(sample: dict[str, pd.DataFrame]) -> None:
    overrides = sample["overrides"]
    decided = local(overrides["decided_at"])
    late = decided - local(overrides["requested_at"]) > pd.Timedelta(hours=24)
    expired = local(overrides["expires_at"]) <= pd.Timestamp("2024-06-30 23:59:59", tz=TZ)
    active = set(sample["customers"].loc[sample["customers"]["status"] == "正常", "customer_id"])

    assert late.sum() == 1
    assert expired.sum() == 1
    assert set(overrides["label"]) == {"vip", "regular", "to_activate"}
    assert overrides["customer_id"].isin(active).all()


# --- files, encodings, headers ---------------------------------------------------------------


def test_customers_file_gbk_crlf(sample_dir: Path) -> None:
    data = (sample_dir / "customers.csv").read_bytes()

    with pytest.raises(UnicodeDecodeError, match="utf-8"):
        data.decode("utf-8")
    assert data.decode("gbk").startswith("客户编号,客户名称,")
    assert data.count(b"\r\n") == data.count(b"\n")


@pytest.mark.parametrize("name", DATA_FILES[1:])
def test_other_files_utf8_bom(sample_dir: Path, name: str) -> None:
    data = (sample_dir / name).read_bytes()

    assert data.startswith(b"\xef\xbb\xbf")
    assert "\r" not in data.decode("utf-8-sig")


@pytest.mark.parametrize("name", DATA_FILES)
def test_headers_are_schema_aliases(sample_dir: Path, name: str) -> None:
    table = name.removesuffix(".csv")
    known = {normalise_header(alias) for column in SCHEMAS[table].columns
             for alias in (column.name, *column.aliases)}
    headers = read_export(sample_dir, name).columns

    assert [header for header in headers if normalise_header(header) not in known] == []


def test_source_file_declares_channel_scales(sample_dir: Path) -> None:
    text = (sample_dir / SOURCE_FILE).read_text("utf-8")

    assert "在线客服: [0, 10]" in text
    assert "电话: [1, 5]" in text
    assert not (sample_dir / "_truth" / "latent_segments.csv").read_text("utf-8").startswith("\ufeff")


def test_parquet_sample_is_canonical(tmp_path: Path) -> None:
    folder = write_sample(tmp_path / "parquet", SMALL, fmt="parquet")
    orders = pd.read_parquet(folder / "orders.parquet")
    tickets = pd.read_parquet(folder / "tickets.parquet")

    assert list(orders.columns) == SCHEMAS["orders"].names
    assert str(orders["order_date"].dtype) == f"datetime64[ns, {TZ}]"
    assert orders["amount"].dtype == "float64"
    assert orders["customer_id"].notna().all()
    assert set(orders["status"]) == {"paid", "cancelled", "unpaid", "refunded"}
    assert tickets["csat_100"].dropna().between(0, 100).all()
    assert read_manifest(folder)["problems_injected"] is False


# --- writing, caching, errors ----------------------------------------------------------------


def test_write_sample_replaces_earlier_sample(tmp_path: Path) -> None:
    folder = write_sample(tmp_path / "s", SMALL)
    write_sample(folder, SMALL, fmt="parquet")

    assert not (folder / "orders.csv").exists()
    assert (folder / "orders.parquet").exists()
    assert [path.name for path in tmp_path.iterdir()] == ["s"]


def test_write_sample_rejects_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")

    with pytest.raises(ParameterError, match="不是样例数据"):
        write_sample(tmp_path, SMALL)


@pytest.mark.parametrize(("kwargs", "lang", "message"), [
    ({"n_customers": 50}, "zh", "至少需要 100 个客户"),
    ({"n_customers": 50}, "en", "at least 100 customers"),
    ({"fmt": "xlsx"}, "en", "output format 'xlsx' is invalid; allowed: csv, parquet"),
    ({"fmt": "parquet", "n_customers": 200_000, "inject_problems": True}, "en", "only up to 100000"),
], ids=["too-few-zh", "too-few-en", "bad-format", "parquet-problems-too-large"])
def test_write_sample_rejects_arguments(tmp_path: Path, kwargs: dict, lang: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        write_sample(tmp_path / "x", lang=lang, **kwargs)


def test_generate_rejects_short_period() -> None:
    with pytest.raises(ParameterError, match="at least 6 months"):
        generate_tables(SMALL, start="2024-01-01", end="2024-03-31", lang="en")


def test_ensure_sample_generates_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGMENTATION_SAMPLE_DIR", str(tmp_path / "cache"))
    first = ensure_sample()
    stamp = (first.parent / "_truth" / "problems.json").stat().st_mtime_ns

    second = ensure_sample()

    assert first == tmp_path / "cache" / SOURCE_FILE
    assert second == first
    assert (second.parent / "_truth" / "problems.json").stat().st_mtime_ns == stamp


def test_generate_rejects_uncovered_calendar_years() -> None:
    with pytest.raises(CalendarCoverageError, match="upgrade chinesecalendar"):
        generate_tables(SMALL, start="2003-01-01", end="2003-12-31", lang="en")


def test_ensure_sample_regenerates_older_revision(tmp_path: Path) -> None:
    source = ensure_sample(tmp_path / "s", n_customers=SMALL)
    manifest_path = source.parent / "_truth" / "problems.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "revision": "older"}), encoding="utf-8")

    ensure_sample(tmp_path / "s", n_customers=SMALL)

    assert read_manifest(source)["revision"] == generator_revision()


def test_ensure_sample_regenerates_other_arguments(tmp_path: Path) -> None:
    source = ensure_sample(tmp_path / "s", n_customers=SMALL, seed=1)
    ensure_sample(tmp_path / "s", n_customers=SMALL, seed=2)

    assert read_manifest(source)["seed"] == 2


@pytest.mark.slow
def test_ensure_sample_concurrent_processes(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    code = ("import sys; from segmentation.sample import ensure_sample; "
            f"print(ensure_sample(sys.argv[1], n_customers={SMALL}))")
    runs = [subprocess.Popen([sys.executable, "-c", code, str(folder)], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONHASHSEED": str(seed)}) for seed in (1, 2)]
    outputs = [run.communicate(timeout=120)[0].strip() for run in runs]

    assert [run.returncode for run in runs] == [0, 0]
    assert outputs == [str(folder / SOURCE_FILE)] * 2
    assert [path.name for path in tmp_path.iterdir()] == ["shared"]
    assert file_hashes(folder) == file_hashes(write_sample(tmp_path / "single", SMALL))


def test_manifest_is_stable_json(sample_dir: Path) -> None:
    text = (sample_dir / "_truth" / "problems.json").read_text("utf-8")

    assert json.dumps(json.loads(text), ensure_ascii=False, indent=2, sort_keys=True) + "\n" == text


# --- CLI -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh", ["示例数据位于", "customers：305 行", "加载时请使用数据源文件"]),
    ("en", ["sample data in", "customers: 305 rows", "load it through the source file"]),
], ids=["zh", "en"])
def test_cli_prints_folder_and_rows(tmp_path: Path, capsys: pytest.CaptureFixture, lang: str,
                                    expected: list[str]) -> None:
    status = main(["--lang", lang, "sample", "--out", str(tmp_path / "cli"), "--customers", str(SMALL),
                   "--format", "parquet"])
    output = capsys.readouterr().out

    assert status == 0
    for text in expected:
        assert text in output
    assert str(tmp_path / "cli") in output


def test_cli_rejects_existing_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")

    status = main(["--lang", "en", "sample", "--out", str(tmp_path), "--customers", str(SMALL)])

    assert status == 2
    assert "holds no sample" in capsys.readouterr().err


# --- loader ----------------------------------------------------------------------------------

# (table, manifest key, loader rule, loader action)
LOADER_RULES = [
    ("customers", "missing_customer_id", "missing_customer_id", "set_aside"),
    ("customers", "exact_duplicate", "exact_duplicate", "set_aside"),
    ("customers", "test_account", "test_account", "set_aside"),
    ("customers", "churned_customer", "churned_customer", "set_aside"),
    ("orders", "impossible_date", "impossible_date", "set_aside"),
    ("orders", "exact_duplicate", "exact_duplicate", "set_aside"),
    ("orders", "missing_customer_id", "missing_customer_id", "set_aside"),
    ("orders", "cancelled", "cancelled", "set_aside"),
    ("orders", "unpaid", "unpaid", "set_aside"),
    ("orders", "test_account", "test_account", "set_aside"),
    ("orders", "churned_customer", "churned_customer", "set_aside"),
    ("orders", "unknown_customer", "unknown_customer", "set_aside"),
    ("orders", "future_date", "future_date", "set_aside"),
    ("orders", "refund_lines", "refund_netted", "counted"),
    ("tickets", "bad_date", "bad_date", "set_aside"),
    ("tickets", "exact_duplicate", "exact_duplicate", "set_aside"),
    ("tickets", "missing_customer_id", "missing_customer_id", "set_aside"),
    ("tickets", "test_account", "test_account", "set_aside"),
    ("tickets", "churned_customer", "churned_customer", "set_aside"),
    ("tickets", "unknown_customer", "unknown_customer", "set_aside"),
    ("tickets", "resolved_before_created", "negative_duration", "repaired"),
    ("tickets", "csat_out_of_scale", "csat_out_of_scale", "repaired"),
]


@pytest.fixture(scope="module")
def loaded(sample_dir: Path):
    from segmentation.loading import load_source

    return load_source(ensure_sample(sample_dir), now=pd.Timestamp("2025-01-01", tz=TZ))


@pytest.mark.skipif(importlib.util.find_spec("segmentation.loading") is None,
                    reason="the loader (segmentation.loading) is not written yet")
def test_loader_reports_planted_counts(loaded, manifest: dict) -> None:
    report = loaded.quality.to_frame()
    found = {(row.table, row.rule, row.action): row.rows for row in report.itertuples()}
    expected = {(table, rule, action): manifest["problems"][table][key]
                for table, key, rule, action in LOADER_RULES}

    assert found == expected


@pytest.mark.skipif(importlib.util.find_spec("segmentation.loading") is None,
                    reason="the loader (segmentation.loading) is not written yet")
def test_loader_keeps_ids_reads_utc(loaded, sample: dict[str, pd.DataFrame]) -> None:
    customers = loaded.customers
    tickets = loaded.tickets.set_index("ticket_id")
    utc = sample["tickets"][sample["tickets"]["first_response_at"].str.endswith("Z").fillna(False)].iloc[0]

    assert customers["customer_id"].str.match(r"^0\d{7}$").sum() >= 10
    assert tickets.loc[utc["ticket_id"], "first_response_at"] == pd.Timestamp(utc["first_response_at"]).tz_convert(TZ)
    assert loaded.tickets["csat_100"].dropna().between(0, 100).all()
