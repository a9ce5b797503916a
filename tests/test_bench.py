"""``autograder bench``: every measurement on something tiny. Key names and their consistency are checked here; the
speed goals are reported by the bench itself and never asserted."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
import yaml

from autograder.bench import bench
from autograder.bench.command import goals, render
from autograder.bench.epoch import count_weights, measure_epoch
from autograder.bench.otter import compare, function_source
from autograder.config import ConfigError, Course, load_course, parse_course

ROOT = Path(__file__).resolve().parents[1]
ENGINE_COURSE = ROOT / "tests" / "engine_course" / "course.yml"

CONTRACT = (
    "submission_s", "student_s", "reference_s", "grading_overhead_s",
    "throughput_j1_per_min", "throughput_j2_per_min", "scaling_ratio",
    "throughput_j1_per_min_all", "throughput_j2_per_min_all", "scaling_ratio_all",
    "peak_rss_mb_grader", "peak_rss_mb_worker", "transfer_gb_per_s",
    "mnist_epoch_s", "mnist_epoch_bound_s", "mnist_epoch_ratio", "otter_ratio", "isolation", "device",
)


def _engine_course(**bench_block: object) -> Course:
    raw = yaml.safe_load(ENGINE_COURSE.read_text(encoding="utf-8"))
    raw["assignments"]["demo"]["bench"].update(bench_block)
    return parse_course(raw, ENGINE_COURSE.parent)


def test_bench_block_is_validated() -> None:
    with pytest.raises(ConfigError, match="bench.light_tasks: unknown task"):
        _engine_course(light_tasks=["nope"])
    with pytest.raises(ConfigError, match="bench.epoch"):
        _engine_course(epoch={"build": "other.build", "train": "calc.train", "config": "calc.CONFIG",
                              "build_keys": ["sizes"]})
    course = load_course(ROOT / "course.yml")
    assert course.assignment("hw2").bench.light_tasks == ["penguins"]
    assert course.assignment("hw2").bench.epoch.rows == 50_000


def test_count_weights_counts_matrices_only() -> None:
    import numpy as np

    params = {"W1": np.zeros((784, 128)), "b1": np.zeros(128), "W2": np.zeros((128, 10)), "b2": np.zeros(10)}
    assert count_weights(params) == 784 * 128 + 128 * 10
    with pytest.raises(TypeError):
        count_weights([1, 2])


def test_bench_on_the_engine_course(tmp_path: Path) -> None:
    """The whole bench on the engine's demo assignment (one copy per throughput run, one start-up per level):
    every contract key, consistent figures."""
    course = _engine_course(light_tasks=["calc"])
    figures = bench(course, "demo", None, copies=1, repeats=1, otter_root=tmp_path / "otter")
    assert set(CONTRACT) <= set(figures)
    for key in ("submission_s", "student_s", "throughput_j1_per_min", "throughput_j2_per_min",
                "throughput_j1_per_min_all", "peak_rss_mb_grader", "peak_rss_mb_worker", "transfer_gb_per_s",
                "worker_startup_s", "call_overhead_ms"):
        assert isinstance(figures[key], float) and figures[key] > 0, key
    assert figures["reference_s"] >= 0
    assert figures["grading_overhead_s"] >= 0
    assert math.isclose(figures["grading_overhead_s"],
                        figures["submission_s"] - figures["student_s"] - figures["reference_s"], abs_tol=1e-9)
    assert math.isclose(figures["scaling_ratio"], figures["throughput_j2_per_min"] / figures["throughput_j1_per_min"])
    assert math.isclose(figures["scaling_ratio_all"],
                        figures["throughput_j2_per_min_all"] / figures["throughput_j1_per_min_all"])
    assert figures["throughput_tasks"] == ["calc"] and figures["throughput_copies"] == 1
    assert figures["throughput_full_marks"] and figures["throughput_full_marks_all"]
    for key in ("throughput_cores_busy_j1", "throughput_cores_busy_j2", "throughput_cores_busy_j1_all"):
        assert 0 < figures[key] <= 1.5 * (os.cpu_count() or 1), (key, figures[key])  # CPU time over wall time
    for run in ("j1", "j2", "j1_all", "j2_all"):  # the judge's own CPU per submission: some, at most cores x wall
        judge, wall = figures[f"throughput_judge_cpu_s_{run}"], figures[f"throughput_seconds_{run}"]
        assert 0 < judge * figures["throughput_copies"] <= (os.cpu_count() or 1) * wall, (run, judge, wall)
    assert figures["score"] == "4/4"
    assert figures["transfer_bytes"] == 6000 * 784 * 4
    # the demo has no epoch block, and its bench call (add of two lists) gives no number to compare with otter
    assert all(figures[key] is None for key in ("mnist_epoch_s", "mnist_epoch_bound_s", "mnist_epoch_ratio"))
    assert figures["otter_ratio"] is None and figures["otter"]["reason"]
    assert figures["isolation"] in ("bwrap", "user", "none") and figures["device"] in ("cpu", "cuda")
    assert set(goals(figures)) == {"grading_overhead_s <= 2 (isolation on)", "scaling_ratio >= 1.7",
                                   "otter_ratio <= 0.5", "mnist_epoch_ratio <= 3 (CPU)", "mnist_epoch_ratio <= 5 (GPU)"}
    assert math.isclose(figures["throughput_scaling_bound"],
                        min(2, (os.cpu_count() or 1) / figures["throughput_cores_busy_j1"]))
    from rich.console import Console

    console = Console(record=True, width=140)
    render(figures, console)
    assert "throughput_j2_per_min" in console.export_text()


def test_goals_judge_the_epoch_against_the_bound_of_its_device() -> None:
    figures = {"isolation": "bwrap", "grading_overhead_s": 0.5, "scaling_ratio": 1.4, "otter_ratio": 0.3,
               "mnist_epoch_ratio": 4.0}
    on_cpu, on_gpu = goals({**figures, "device": "cpu"}), goals({**figures, "device": "cuda"})
    assert on_cpu["mnist_epoch_ratio <= 3 (CPU)"] is False and on_cpu["mnist_epoch_ratio <= 5 (GPU)"] is None
    assert on_gpu["mnist_epoch_ratio <= 3 (CPU)"] is None and on_gpu["mnist_epoch_ratio <= 5 (GPU)"] is True
    assert on_cpu["scaling_ratio >= 1.7"] is False and on_cpu["grading_overhead_s <= 2 (isolation on)"] is True
    assert goals({**figures, "isolation": "none"})["grading_overhead_s <= 2 (isolation on)"] is None


def test_epoch_on_a_few_rows() -> None:
    """One epoch of hw2's mnist_mlp.train with BEST_CONFIG on 512 rows, and its FLOP bound."""
    course = load_course(ROOT / "course.yml")
    config = course.assignment("hw2")
    epoch = measure_epoch(course.path(config.solution), config, config.bench.epoch, rows=512)
    assert epoch.rows == 512 and epoch.n_weights == 784 * 1024 + 1024 * 10  # BEST_CONFIG: hidden_sizes (1024,)
    assert epoch.flops == 6 * epoch.n_weights * 512
    assert epoch.mnist_epoch_s > 0 and epoch.matmul_gflops > 0 and epoch.threads >= 1
    assert math.isclose(epoch.mnist_epoch_bound_s, epoch.flops / (epoch.matmul_gflops * 1e9))
    assert math.isclose(epoch.mnist_epoch_ratio, epoch.mnist_epoch_s / epoch.mnist_epoch_bound_s)


def test_function_source_keeps_only_what_the_function_uses() -> None:
    course = load_course(ROOT / "course.yml")
    source = function_source(course.path(course.assignment("hw2").solution) / "trees.py", "rmse")
    assert "def rmse(" in source and "import numpy as np" in source
    assert "sklearn" not in source and "BEGIN SOLUTION" not in source and "STUB" not in source
    namespace: dict = {}
    exec(compile(source, "trees.py", "exec"), namespace)
    assert namespace["rmse"]([0.0, 0.0], [3.0, 3.0]) == 3.0


def test_otter_comparison(tmp_path: Path) -> None:
    """hw2's rmse graded once by otter run and once by autograder grade, from the workspace the bench builds."""
    course = load_course(ROOT / "course.yml")
    figures = compare(course, "hw2", tmp_path / "otter", repeats=1)
    assert figures.reason == "", figures.reason
    assert figures.otter_s > 0 and figures.autograder_s > 0
    assert math.isclose(figures.otter_ratio, figures.autograder_s / figures.otter_s)
    assert (tmp_path / "otter" / "otter" / "autograder.zip").is_file()
    assert (tmp_path / "otter" / "course" / "course.yml").is_file()
