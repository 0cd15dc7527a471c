"""What the test build costs (time and disk) from scratch, for two revisions, in one run: what a
clean CI run pays before its first test (`cargo test --all-targets --no-run`).

    .venv/bin/python benchmarks/test_build.py --before-rev b515afc [--after-rev HEAD] [--rounds 1]

Each build runs in a fresh git worktree with a fresh target directory; rounds alternate which
revision goes first, so that machine noise hits both alike. Measured per build: wall time, the
target directory's size afterwards, and the size of the test binaries (the largest, and all of
them). Writes benchmarks/test-build.md and prints it.
"""
import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build(rev: str) -> dict:
    work = Path(tempfile.mkdtemp(prefix="test-build-"))
    tree = work / "tree"
    try:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(tree), rev],
                       check=True, capture_output=True)
        started = time.monotonic()
        subprocess.run(["cargo", "test", "--all-targets", "--no-run", "-q"], cwd=tree, check=True,
                       capture_output=True)
        took = time.monotonic() - started
        deps = tree / "target" / "debug" / "deps"
        binaries = [p.stat().st_size for p in deps.iterdir()
                    if p.is_file() and p.suffix == "" and p.stat().st_mode & 0o111]
        return {"seconds": took, "target": du(tree / "target"), "largest": max(binaries),
                "binaries": sum(binaries), "count": len(binaries)}
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                       capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before-rev", required=True)
    parser.add_argument("--after-rev", default="HEAD")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    revs = {
        name: subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], check=True,
                             capture_output=True, text=True).stdout.strip()
        for name, rev in (("before", args.before_rev), ("after", args.after_rev))
    }
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    for round_no in range(args.rounds):
        order = ["before", "after"] if round_no % 2 == 0 else ["after", "before"]
        for name in order:
            result = build(revs[name])
            print(f"round {round_no + 1} {name} ({revs[name]}): {result}", flush=True)
            runs[name].append(result)

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    gb, mb = 1e9, 1e6
    rows = [
        ("test build from scratch", "seconds", 1, "{:.0f} s"),
        ("target directory afterwards", "target", gb, "{:.1f} GB"),
        ("all test and binary targets", "binaries", gb, "{:.1f} GB"),
        ("largest one", "largest", mb, "{:.0f} MB"),
    ]
    lines = [
        "# Test build: time and disk, before and after",
        "",
        f"`benchmarks/test_build.py --before-rev {revs['before']} --after-rev {revs['after']} "
        f"--rounds {args.rounds}`: `cargo test --all-targets --no-run` in fresh worktrees and "
        f"target directories, alternating. Medians of {args.rounds} build(s) each; "
        f"{runs['after'][0]['count']} executables.",
        "",
        f"| | before ({revs['before']}) | after ({revs['after']}) | ratio |",
        "|---|---|---|---|",
    ]
    for label, key, unit, fmt in rows:
        b, a = median("before", key), median("after", key)
        lines.append(f"| {label} | {fmt.format(b / unit)} | {fmt.format(a / unit)} | {a / b:.2f}x |")
    text = "\n".join(lines) + "\n"
    (ROOT / "benchmarks" / "test-build.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
