"""`make mutate`: mutmut 3 over the engine's decision code, each module with its own fast tests.

mutmut 3 names a mutant after its file's path (src/a/b.py -> a.b) and only recognises ./, src/
and source/ as the import root; this repository maps core/ to phototag.core with package-dir, so
mutmut run here would record phototag.core.x while looking for core.x and find no tests. Each
group below is therefore staged in build/mutate/<group>/ as src/phototag/{core,cli,resources}
plus a copy of tests/ and a pyproject that holds only that group's [tool.mutmut] settings; mutmut
puts its mutated src/ first on sys.path, so `import phototag.core...` loads the mutants.

Inside a group mutmut runs, for each mutant, only the selected tests that called the mutated
function (it records that in one instrumented run first). The last line printed is
`mutation_score=<killed>/<total>`, total being every mutant minus those listed as equivalent in
bench/mutation/survivors.txt (the line before says how many); the target is 0.85.

Usage: python bench/mutation/run.py [group ...]   (default: every group; `make mutate`). With
group names it runs only those and counts the other groups' results left in build/mutate/;
with --report it only counts those.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGE = ROOT / "build" / "mutate"
SURVIVORS = ROOT / "bench" / "mutation" / "survivors.txt"
# mutmut's exit codes for a mutant the tests did not pass: they failed (1; 3 is pytest's internal
# error), timed out (36, -24, 24, 152, 255) or crashed (-11, -9). Survived is 0, no tests 33.
KILLED = {1, 3, 36, -24, 24, 152, 255, -11, -9}


@dataclass(frozen=True)
class Group:
    name: str
    files: tuple[str, ...]  # relative to core/
    tests: tuple[str, ...]  # pytest arguments, relative to the repository
    # Per file, the functions mutated ("f", "Class.method" or a whole "Class"); a file not
    # named here is mutated whole.
    only: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Seconds added to the covering tests' time before mutmut's x15 time limit (its default).
    timeout_constant: float = 1.0


GROUPS = (
    Group(
        "labels",
        (
            "labels/imprint.py",
            "labels/scoring.py",
            "labels/thresholds.py",
            "labels/heads/mwi.py",
            "labels/heads/multiproxy.py",
            "labels/heads/finetune.py",
            "labels/heads/tip_adapter.py",
            "labels/heads/linear_probe.py",
            "labels/heads/llu.py",
        ),
        ("tests/core/labels",),
    ),
    Group(
        "model",
        ("model/projection.py", "model/prolip.py"),
        (
            "tests/core/model/test_prolip.py",
            "tests/core/test_refine.py",
            "tests/core/test_refine_rejections.py",
        ),
    ),
    # The scan's own tests, which scan small folders of their own (the shared template library
    # only feeds the e2e `phototag` fixture, so it is built once here too), and the library
    # tests of edits (examples carried to new content) and odd names. Left out, as each scan a
    # test costs is paid again for every mutant (the first selection, 27 such tests, did 10
    # mutants in 4 minutes at a load average of 16): the watcher's tests, which start `phototag
    # watch` processes (the installed, unmutated package) and wait on them for seconds at a
    # time; test_many_links.py, 300 names scanned (37 s), whose once-per-content move check
    # test_scan_identity.py pins on a few names; test_library.py's moved, deleted, copied and
    # unreadable files, which test_scan_identity.py covers with more asserts; the decoders'
    # tests, which never scan.
    Group(
        "ingest",
        ("ingest/scan.py",),
        (
            "tests/core/ingest/test_scan.py",
            "tests/core/ingest/test_scan_identity.py",
            "tests/e2e/test_scan_moves.py",
            *(
                f"tests/core/test_library.py::test_{name}"
                for name in (
                    "odd_file_names_are_scanned_or_reported_never_fatal",
                    "an_edited_photo_keeps_the_labels_the_user_gave_it",
                    "editing_one_of_two_copies_leaves_the_labels_with_the_untouched_copy",
                )
            ),
        ),
        # mutmut's time limit is (the covering tests' call time + this) x 15, and its estimate
        # leaves out fixtures: here every test's fixture scans a folder first, so the default
        # 1 s made survivors time out (8 of the first 10 results at a load average of 16).
        timeout_constant=10.0,
        # What decides identity (same path and stat, same content hash), moves (a vanished path
        # whose content turns up elsewhere) and missing files and folders; not the walk, the
        # decoding or the progress reports.
        only=(
            (
                "ingest/scan.py",
                (
                    "in_scope",
                    "skipped_inside",
                    "_is_hidden",
                    "is_within",
                    "folder_problem",
                    "_owner",
                    "Ingest._by_folder",
                    "Ingest._update_folder",
                    "Ingest._is_unchanged",
                    "Ingest._new_content",
                    "Ingest._record_file",
                    "Ingest._carry_examples",
                    "Ingest._forget_vanished",
                    "Ingest._forget_moved_from",
                    "Ingest._forget",
                    "Ingest._settle_moves",
                ),
            ),
        ),
    ),
    # The merge of keywords into an existing sidecar, not the XML parser or serializer. Its
    # tests of packets and sidecar files (ExifTool reading them back included); not the ones
    # that drive the merge through a scanned library (`small_library`): each of those scans six
    # photos first, which made a surviving mutant cost a minute at a load average of 10 (the
    # group ran 18 minutes and was not half done), and none reaches a case the others miss.
    Group(
        "xmp",
        ("interop/xmp.py",),
        (
            "tests/core/interop/test_xmp.py",
            *(
                f"--deselect=tests/core/interop/test_xmp.py::test_{name}"
                for name in (
                    "library_writes_confirmed_tags_and_removes_them_when_untagged",
                    "a_users_keyword_equal_to_a_label_is_never_removed",
                    "label_hierarchy_is_written_as_paths",
                    "predicted_tags_only_when_asked",
                    "failures_are_reported_and_the_rest_is_written",
                    "odd_file_names",
                    "writing_sidecars_in_a_watched_folder_causes_no_ingest_work",
                )
            ),
        ),
        only=(
            (
                "interop/xmp.py",
                (
                    "keywords_for",
                    "merge",
                    "merge_field",
                    "private_records",
                    "_update_array",
                    "Packet.keywords",
                    "Packet.set_keywords",
                    "Packet.private",
                    "Packet.set_private",
                ),
            ),
        ),
    ),
)


def equivalents() -> dict[str, str]:
    """The mutants listed as equivalent: `<mutant name>  <why>` a line, # starts a comment."""
    listed: dict[str, str] = {}
    if SURVIVORS.exists():
        for line in SURVIVORS.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, why = line.partition(" ")
                listed[name] = why.strip()
    return listed


def stage(group: Group) -> Path:
    where = STAGE / group.name
    shutil.rmtree(where, ignore_errors=True)
    src = where / "src" / "phototag"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("core", "cli", "resources"):
        shutil.copytree(ROOT / folder, src / folder, ignore=ignore)
    shutil.copytree(
        ROOT / "tests", where / "tests", ignore=shutil.ignore_patterns("__pycache__", "app")
    )
    for file, functions in group.only:
        fence(src / "core" / file, set(functions))
    # The tests' shared scanned library is built once, by the unmutated code, instead of once
    # per mutant (2 s each).
    with open(where / "tests" / "conftest.py", "a") as conftest:
        conftest.write(PREBUILT_FIXTURES.format(template=str(prebuild())))
    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    mutmut = {
        "source_paths": ["src"],
        "only_mutate": [f"src/phototag/core/{f}" for f in group.files],
        "pytest_add_cli_args_test_selection": list(group.tests),
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-x", "-q"],
        # torch's thread pools do not survive a fork from a process that has run tests.
        "process_isolation": "forkserver",
        "use_git_change_detection": False,
        "timeout_constant": group.timeout_constant,
    }
    (where / "pyproject.toml").write_text(_toml({"tool": {"mutmut": mutmut, **pytest_options}}))
    return where


PREBUILT_FIXTURES = """

# ----- added by bench/mutation/run.py: the library scanned once, before any mutant -----
import pickle as _pickle  # noqa: E402

_PREBUILT = Path({template!r})


@pytest.fixture(scope="session")
def photo_set():
    return _pickle.loads((_PREBUILT / "photo_set.pickle").read_bytes())


@pytest.fixture(scope="session")
def scanned_template():
    return _PREBUILT / "library"
"""

BUILD_TEMPLATE = """
import pickle, sys
from pathlib import Path
import tests.conftest  # its private XDG folders, as in a test session
from phototag.core.library import Library
from tests.photos import make_library_folder

where = Path(sys.argv[1])
photos = make_library_folder(where / "photos")
with Library(where / "library") as library:
    library.add_folder(where / "photos")
    library.scan(model="tiny-random")
(where / "photo_set.pickle").write_bytes(pickle.dumps((where / "photos", photos)))
"""


def prebuild() -> Path:
    """conftest.py's photo_set and scanned_template, made by the code as it is in the tree."""
    where = STAGE / "prebuilt"
    if not (where / "photo_set.pickle").exists():
        shutil.rmtree(where, ignore_errors=True)
        (where / "photos").mkdir(parents=True)
        subprocess.run([sys.executable, "-c", BUILD_TEMPLATE, str(where)], cwd=ROOT, check=True)
    return where


def fence(path: Path, functions: set[str]) -> None:
    """Put every function of `path` not in `functions` between mutmut's `no mutate start` and
    `end` comments (in the staged copy only: the lines shift, the code stays the same)."""
    lines = path.read_text().splitlines()
    fenced: list[ast.stmt] = []
    for node in ast.parse("\n".join(lines)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name not in functions:
                fenced.append(node)
        elif isinstance(node, ast.ClassDef) and node.name not in functions:
            methods = [
                item
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and f"{node.name}.{item.name}" not in functions
            ]
            if len(methods) == sum(isinstance(i, ast.FunctionDef) for i in node.body):
                fenced.append(node)
            else:
                fenced.extend(methods)
    for node in sorted(fenced, key=lambda n: n.lineno, reverse=True):
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        indent = " " * node.col_offset
        assert node.end_lineno is not None
        lines.insert(node.end_lineno, f"{indent}# pragma: no mutate end")
        lines.insert(first - 1, f"{indent}# pragma: no mutate start")
    # mutmut reads an `end` comment only before a statement: one fencing the file's last
    # function needs a statement after it.
    path.write_text("\n".join([*lines, "pass"]) + "\n")


def _toml(table: dict, prefix: str = "") -> str:
    """Just enough TOML for the staged pyproject: strings, numbers, lists of strings, tables."""
    lines, subtables = [], []
    for key, value in table.items():
        if isinstance(value, dict):
            subtables.append((key, value))
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    out = (f"[{prefix}]\n" if prefix and lines else "") + "".join(f"{line}\n" for line in lines)
    for key, value in subtables:
        out += _toml(value, f"{prefix}.{key}" if prefix else key)
    return out


def results(where: Path) -> dict[str, int | None]:
    codes: dict[str, int | None] = {}
    for meta in (where / "mutants").rglob("*.py.meta"):
        codes.update(json.loads(meta.read_text())["exit_code_by_key"])
    return codes


def main(names: list[str]) -> int:
    if names == ["--report"]:  # only count what the last runs left in build/mutate/
        names = [g.name for g in GROUPS]
        return summary([], {}, time.monotonic())
    if not names:  # a full run builds the shared library afresh; a partial one reuses it
        shutil.rmtree(STAGE / "prebuilt", ignore_errors=True)
    groups = [g for g in GROUPS if not names or g.name in names]
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    children = str(min(2, os.cpu_count() or 1))
    codes: dict[str, int | None] = {}
    started = time.monotonic()
    for group in groups:
        where = stage(group)
        print(f"== {group.name}: {', '.join(group.files)}", flush=True)
        run = [sys.executable, "-m", "mutmut", "run", "--max-children", children]
        done = subprocess.run(run, cwd=where, env=env, stdout=subprocess.DEVNULL, check=False)
        found = results(where)
        if done.returncode or not found or all(code is None for code in found.values()):
            print(f"mutmut failed on {group.name} (exit {done.returncode})", file=sys.stderr)
            return 1
        killed = sum(code in KILLED for code in found.values())
        print(f"   {killed}/{len(found)} killed", flush=True)
        codes.update(found)
    return summary(groups, codes, started)


def summary(groups: list[Group], codes: dict[str, int | None], started: float) -> int:
    reused = [g.name for g in GROUPS if g not in groups and (STAGE / g.name / "mutants").exists()]
    for name in reused:
        found = results(STAGE / name)
        killed = sum(code in KILLED for code in found.values())
        print(f"== {name}: {killed}/{len(found)} killed in its last run", flush=True)
        codes.update(found)
    if reused:
        print(f"with the last run's results of {', '.join(reused)} (not run again now)")
    listed = equivalents()
    unknown = [name for name in listed if name not in codes]
    survivors = sorted(n for n, c in codes.items() if c not in KILLED and n not in listed)
    report = STAGE / "survivors.txt"
    lines = [f"{n}  {codes[n]}" for n in survivors]
    report.write_text("".join(f"{line}\n" for line in lines))
    print(f"{len(survivors)} not killed and not listed as equivalent: {report}")
    print("   (exit 0: survived, 33: no test calls it, 36 or -24: timed out; mutmut show NAME")
    print(f"   in {STAGE}/<group> prints one)")
    if unknown and len(groups) + len(reused) == len(GROUPS):
        print(f"listed in {SURVIVORS.name} but no longer generated: {', '.join(unknown)}")
    listed_here = [n for n in listed if n in codes]
    wrongly_listed = [n for n in listed_here if codes[n] in KILLED]
    if wrongly_listed:
        print(f"listed as equivalent but killed: {', '.join(wrongly_listed)}")
    killed = sum(code in KILLED for n, code in codes.items() if n not in listed)
    print(f"minutes={(time.monotonic() - started) / 60:.1f} load_average={os.getloadavg()}")
    print(f"equivalent_mutants={len(listed_here)} (listed in bench/mutation/survivors.txt)")
    print(f"mutation_score={killed}/{len(codes) - len(listed_here)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
