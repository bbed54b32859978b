"""What the report says, as a list of blocks that page.py renders as HTML and as Markdown.

A block is a tuple: ("h1" | "h2" | "p", text), ("list", [text]), ("img", file name, title),
("table", headers, rows), ("details", summary, headers, rows) - a table folded away on the HTML
page - and ("evidence", outlet rows). Text may mark code with backquotes.
"""

from __future__ import annotations

QUALITY = {
    "invalid_json": "lines that are not valid JSON (or not UTF-8): skipped",
    "not_an_object": "lines that are JSON but not an object: skipped",
    "line_too_long": "lines longer than `report.max_line_bytes`: skipped",
    "outlet_missing": "records without `{outlet}`: grouped as (no outlet)",
    "outlet_empty": "records with an empty `{outlet}`: grouped as (no outlet)",
    "outlet_not_a_string": "records whose `{outlet}` is not a string: grouped as (no outlet)",
    "outlet_pooled": "records of outlets beyond `report.max_outlets`: grouped as (other outlets)",
    "date_missing": "records without `{date}`: in every table but the time series",
    "date_malformed": "records whose `{date}` is not an ISO 8601 calendar date: in every table but the time series",
    "no_topic": "records without a topic result: left out of the topic tables",
    "topic_malformed": "records whose `topic.label` is not a label: left out of the topic tables",
    "topic_pooled": "records with topic labels beyond the first 100 distinct ones: grouped as (other topics)",
    "no_stance": "records without a stance result: no score",
    "stance_malformed": "records whose `stance` has no label: no score",
    "stance_score_malformed": "stance scores that are not a number in [-1, 1]: counted as unscored",
    "not_about_target": "records whose text does not mention the target: no score, counted in the label shares",
}
LABEL_NAMES = {"not_about_target": "not about target", "(no stance)": "no stance"}


def fmt(value: float | None, sign: bool = True) -> str:
    return "n/a" if value is None else f"{value:+.2f}" if sign else f"{value:.2f}"


def interval(row: dict) -> str:
    return "n/a" if row.get("ci_low") is None else f"{row['ci_low']:+.2f} .. {row['ci_high']:+.2f}"


def share(count: int, total: int) -> str:
    return f"{count / total:.0%}" if total else "n/a"


def quality_rows(tables: dict) -> list[list]:
    """One row per kind of problem, in the order of QUALITY (lines, outlets, dates, topic, stance)."""
    order = list(QUALITY)
    rows = []
    for kind, problem in sorted(tables["quality"].items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99):
        text = QUALITY.get(kind, kind).format(**tables["fields"])
        where = ", ".join(map(str, problem["first_lines"])) + (", ..." if problem["count"] > 5 else "")
        rows.append([kind, problem["count"], text, where, ", ".join(problem["examples"])])
    return rows


def outlet_rows(tables: dict) -> tuple[list[str], list[list]]:
    labels = tables["label_order"]
    voices = any(o["voices"] for o in tables["outlets"])
    headers = ["outlet", "records", "scored", "mean stance", f"{round(tables['confidence'] * 100)}% interval"]
    headers += [LABEL_NAMES.get(label, label) for label in labels] + ["main topic"]
    headers += ["evidence own / quoted"] if voices else []
    rows = []
    for o in tables["outlets"]:
        main = max(o["topics"].items(), key=lambda kv: (kv[1], kv[0]))[0] if o["topics"] else "n/a"
        row = [o["outlet"], o["records"], o["scored"], fmt(o["mean"]), interval(o)]
        row += [share(o["labels"].get(label, 0), o["records"]) for label in labels] + [main]
        row += [f"{o['voices'].get('own', 0)} / {o['voices'].get('quoted', 0)}"] if voices else []
        rows.append(row)
    return headers, rows


def topic_rows(tables: dict) -> tuple[list[str], list[list]]:
    labels = tables["label_order"]
    headers = ["topic", "records", "scored", "mean stance", f"{round(tables['confidence'] * 100)}% interval"]
    headers += [LABEL_NAMES.get(label, label) for label in labels]
    rows = [
        [t["topic"], t["records"], t["scored"], fmt(t["mean"]), interval(t)]
        + [share(t["labels"].get(label, 0), t["records"]) for label in labels]
        for t in tables["topics"]
    ]
    return headers, rows


def period_rows(tables: dict) -> tuple[list[str], list[list]]:
    topics = tables["topic_order"]
    headers = ["period", "records"] + [f"{t} share" for t in topics] + [f"{t} stance" for t in topics]
    rows = []
    for p in tables["periods"]:
        counted = sum(p["topics"].values())
        row = [p["period"], p["records"]] + [share(p["topics"].get(t, 0), counted) for t in topics]
        for t in topics:
            s = p["stance"].get(t)
            row.append("" if s is None else f"{fmt(s['mean'])} (n={s['n']})")
        rows.append(row)
    return headers, rows


def report_blocks(tables: dict, images: list[str], input_path: str) -> list[tuple]:
    span = f"{tables['first_date']} .. {tables['last_date']}" if tables["first_date"] else "no usable dates"
    blocks: list[tuple] = [
        ("h1", "Coverage report"),
        (
            "p",
            f"`{input_path}`: {tables['records']} records ({tables['lines']} lines), {len(tables['outlets'])} outlets, "
            f"dates {span}, grouped per {tables['period']}.",
        ),
        ("list", glance(tables)),
        ("h2", "Data quality"),
    ]
    rows = quality_rows(tables)
    if rows:
        blocks.append(("table", ["problem", "count", "what happened", "first lines", "examples"], rows))
    else:
        blocks.append(("p", "No problems: every line is a record with an outlet, a date, a topic and a stance."))
    blocks += [("h2", "Topic share over time"), *_image("topic_share.png", images)]
    blocks.append(("details", "the numbers per period", *period_rows(tables)))
    blocks += [("h2", "Stance by outlet"), *_image("outlet_stance.png", images), ("table", *outlet_rows(tables))]
    blocks += [("h2", "Stance by topic"), *_image("topic_stance.png", images), ("table", *topic_rows(tables))]
    blocks += [("h2", "Stance over time per topic"), *_image("stance_over_time.png", images)]
    blocks += [("h2", "Strongest evidence per outlet"), ("evidence", tables["outlets"])]
    return [*blocks, ("h2", "Method"), ("list", method_notes(tables))]


def _image(name: str, images: list[str]) -> list[tuple]:
    return [("img", name, name.removesuffix(".png").replace("_", " "))] if name in images else []


def glance(tables: dict) -> list[str]:
    """A few sentences an analyst reads first: topic mix, the outlets at both ends, what was left out."""
    notes = []
    counted = sum(t["records"] for t in tables["topics"])
    if counted:
        mix = ", ".join(f"{t['topic']} {t['records'] / counted:.0%}" for t in tables["topics"])
        notes.append(f"Primary topics: {mix}.")
    ranked = sorted(
        (o for o in tables["outlets"] if o["scored"] >= tables["min_count"] and not o["outlet"].startswith("(")),
        key=lambda o: o["mean"],
    )
    k = min(2, len(ranked) // 2)
    if k:

        def name(o: dict) -> str:
            return f"{o['outlet']} {fmt(o['mean'])} (n={o['scored']})"

        low, high = ", ".join(map(name, ranked[:k])), ", ".join(map(name, ranked[::-1][:k]))
        notes.append(f"Most critical outlets by mean stance: {low}; most supportive: {high}.")
    cells = [s["n"] for p in tables["periods"] for s in p["stance"].values()]
    coarser = {"week": "month", "month": "quarter"}.get(tables["period"])
    if cells and coarser and sum(n >= tables["min_count"] for n in cells) < len(cells) / 2:
        notes.append(
            f"Most {tables['period']}s have fewer than {tables['min_count']} scored records per topic, so the "
            f"stance-over-time lines are sparse; `report.period={coarser}` pools more."
        )
    not_about = tables["quality"].get("not_about_target", {}).get("count", 0)
    if not_about:
        notes.append(f"{not_about} records do not mention the target: counted, but without a stance score.")
    undated = sum(tables["quality"].get(k, {}).get("count", 0) for k in ("date_missing", "date_malformed"))
    no_outlet = sum(
        tables["quality"].get(k, {}).get("count", 0) for k in ("outlet_missing", "outlet_empty", "outlet_not_a_string")
    )
    if undated or no_outlet:
        notes.append(
            f"{undated} records without a usable date (not in the time series) and {no_outlet} without an outlet "
            "(shown as (no outlet)); see Data quality."
        )
    return notes


def method_notes(tables: dict) -> list[str]:
    return [
        "Topic share: the share of each primary topic (`topic.label`) among the dated records of a period.",
        "Mean stance counts records with a score; records not about the target have none and appear only in the "
        "label shares.",
        f"Outlet intervals: percentile bootstrap of the mean ({tables['bootstrap']} resamples) over a uniform "
        f"sample of up to {tables['sample_size']} scores per outlet, rescaled to the outlet's full count when it "
        "has more. Topic and period intervals: mean -/+ z * sd / sqrt(n).",
        f"Groups with fewer than {tables['min_count']} scored records get no interval or line in the plots.",
        "Evidence: the evidence sentences (`stance.evidence`) whose own score lies outside the neutral band, "
        "most critical and most supportive per outlet, each text once.",
    ]
