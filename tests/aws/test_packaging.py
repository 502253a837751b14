"""The Lambda artifacts (`make package`): pinned, under Lambda's size limit, complete.

The layers are built for Linux arm64 / CPython 3.12 from requirements/lambda.txt. When
build/lambda holds layers built from the current lock they are measured as they are;
otherwise they are built into a temporary folder (that needs the package index; without it
these tests skip and say so).

The code zip ships only what Lambda runs (no CLI, simulator or template tooling): the
tests below unzip it and import each handler with nothing else of the package on sys.path; they
need no package index.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import zipfile
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from packaging.requirements import Requirement

from cinelake.aws.cfn import function_properties

pytestmark = pytest.mark.slow

# What the python3.12 Lambda runtime itself provides (the SDK and its dependencies).
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"}
MIB = 1024 * 1024
SRC_HANDLERS = Path(__file__).resolve().parents[2] / "src" / "cinelake" / "handlers"


@pytest.fixture(scope="session")
def artifacts(
    package_script: ModuleType, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Artifact file name -> zip: the repo's current layers, else freshly built ones."""
    ps = package_script
    layers = ps.read_lock()
    out = tmp_path_factory.mktemp("lambda")
    found: dict[str, Path] = {}
    for name, reqs in layers.items():
        if ps.layer_is_current(ps.OUT, name, reqs):
            found[f"layer-{name}.zip"] = ps.OUT / f"layer-{name}.zip"
            continue
        try:
            found[f"layer-{name}.zip"] = ps.build_layer(name, reqs, out, force=True)
        except subprocess.CalledProcessError:
            if not _index_reachable(ps, reqs[0]):
                pytest.skip(
                    "build/lambda is missing or stale and the package index is unreachable: "
                    "run `make package` where PyPI is reachable"
                )
            raise
    found["cinelake.zip"] = ps.build_code(out)
    return found


def _index_reachable(ps: ModuleType, requirement: str) -> bool:
    pin = requirement.split()[0]
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--dest",
                tmp,
                *ps.platform_args(),
                pin,
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
    return result.returncode == 0


def _unzipped(path: Path) -> int:
    with zipfile.ZipFile(path) as zf:
        return sum(i.file_size for i in zf.infolist())


def _top_level_modules(layer_zip: Path) -> set[str]:
    names = set()
    with zipfile.ZipFile(layer_zip) as zf:
        for entry in zf.namelist():
            assert entry.startswith("python/"), entry  # Lambda puts python/ on sys.path
            first = entry.split("/")[1]
            if first.endswith((".dist-info", ".data")) or not first:
                continue
            names.add(first.split(".")[0])
    return names


# ------------------------------------------------------------------------------------------


def test_the_lock_pins_every_lambda_dependency_with_a_hash(package_script: ModuleType) -> None:
    ps = package_script
    layers = ps.read_lock()
    pins: dict[str, str] = {}
    for layer, entries in layers.items():
        for entry in entries:
            m = re.fullmatch(r"([a-z0-9-]+)==(\S+) \\\n    --hash=sha256:[0-9a-f]{64}", entry)
            assert m, entry
            pins[m.group(1)] = m.group(2)
            assert (m.group(1) in {"duckdb", "pyarrow"}) == (layer == "lake"), entry
    wanted = [
        Requirement(line)
        for line in ps.LOCK_IN.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for req in wanted:
        name = ps.canonical(req.name)
        assert name in pins, f"{name} is in lambda.in but not locked: run make lock-lambda"
        assert req.specifier.contains(pins[name], prereleases=True), (name, pins[name])
    assert not {"boto3", "botocore"} & set(pins)  # the runtime's own


def test_each_function_with_its_layers_fits_lambdas_250_mb(
    artifacts: dict[str, Path],
    template: dict[str, Any],
    package_script: ModuleType,
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = []
    for lid, res in template["Resources"].items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        props = function_properties(template, lid)
        parts = [Path(props["CodeUri"]).name] + [
            Path(template["Resources"][x["Ref"]]["Properties"]["ContentUri"]).name
            for x in props["Layers"]
        ]
        total = sum(_unzipped(artifacts[p]) for p in parts)
        report.append(f"{lid}: {total / MIB:.1f} MiB unzipped ({' + '.join(parts)})")
        assert total < package_script.LAMBDA_LIMIT_BYTES, report[-1]
        assert len(props["Layers"]) <= 5  # Lambda's layer limit
    with capsys.disabled():
        print("\n  " + "\n  ".join(report))


def test_the_code_zip_has_the_package_and_its_bundled_sample(artifacts: dict[str, Path]) -> None:
    with zipfile.ZipFile(artifacts["cinelake.zip"]) as zf:
        names = set(zf.namelist())
        infos = zf.infolist()
    for needed in (
        "cinelake/handlers/ingest.py",
        "cinelake/handlers/enrich.py",
        "cinelake/sample/top_movies.json",
        "cinelake/sample/omdb_answers.json",
    ):
        assert needed in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}  # reproducible


def test_the_code_zip_is_reproducible(package_script: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = package_script.build_code(tmp_path / "a").read_bytes()
    assert package_script.build_code(tmp_path / "b").read_bytes() == first


CHILD = textwrap.dedent("""
    import importlib.abc, json, os, sys, tempfile
    from datetime import datetime, timezone

    core, lake, pruned = (set(json.loads(a)) for a in sys.argv[1:4])
    allowed = set(sys.stdlib_module_names) | {"cinelake"} | core

    class OnlyTheArtifacts(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            top = name.split(".")[0]
            if (top not in allowed and not top.startswith("_sysconfigdata")) or any(
                    name == p or name.startswith(p + ".") for p in pruned):
                raise ModuleNotFoundError(f"No module named {name!r} in the Lambda artifacts", name=name)
            return None

    sys.meta_path.insert(0, OnlyTheArtifacts())
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    os.chdir(tempfile.mkdtemp())

    from cinelake import bootstrap
    from cinelake.config import Settings
    from cinelake.handlers import enrich, ingest
    from cinelake.runtime.events import Created, LocalContext, s3_event, sqs_event

    created = []
    settings = Settings(data_dir="lake", offline=True, rate_limit=0)
    deps = bootstrap.build_local(settings, on_created=lambda b, k, n: created.append(Created(b, k, n)))
    bootstrap.install(deps)
    now = datetime(2026, 11, 29, 3, tzinfo=timezone.utc)
    ingest.handler({"time": "2026-11-29T03:00:00Z", "top_n": 3, "batch_size": 1}, LocalContext("ingest"))
    answer = enrich.handler(sqs_event(deps.queue.receive(10)), LocalContext("enrich"))
    assert answer["batchItemFailures"] == [], answer

    allowed |= lake  # the silver and gold functions also have the lake layer
    from cinelake.handlers import bronze_to_silver, silver_to_gold

    bronze = [c for c in created if c.bucket == "bronze" and c.key.startswith("omdb/")]
    built = bronze_to_silver.handler(s3_event(bronze[-1:], now), LocalContext("silver"))
    assert built["runs"][0]["state"] == "built", built
    silver = [c for c in created if c.bucket == "silver" and c.key.startswith("movies/")]
    gold = silver_to_gold.handler(s3_event(silver[-1:], now), LocalContext("gold"))
    assert gold["built"] is True, gold
    print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} - set(sys.stdlib_module_names))))
""")


def test_the_handlers_need_nothing_the_artifacts_do_not_ship(
    artifacts: dict[str, Path], package_script: ModuleType, tmp_path: Path
) -> None:
    """A whole offline run through the four handlers, importing only stdlib, the package, the
    runtime's SDK and the modules in the function's layers (core first, then core + lake)."""
    core = _top_level_modules(artifacts["layer-core.zip"]) | RUNTIME_PROVIDED
    lake = _top_level_modules(artifacts["layer-lake.zip"])
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            CHILD,
            json.dumps(sorted(core)),
            json.dumps(sorted(lake)),
            json.dumps(list(package_script.PRUNED_MODULES)),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    imported = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert {"pydantic", "httpx", "aws_lambda_powertools", "duckdb", "pyarrow"} <= imported
    assert "numpy" not in imported and "pandas" not in imported  # the lake layer ships neither


# -- what the code zip ships ---------------------------------------------------------------------
# The code zip carries what Lambda runs and nothing of the repository's other tools.
NOT_SHIPPED = (
    "cinelake/cli/",  # the command line
    "cinelake/devtools/",  # the OMDb simulator, synthetic data
    "cinelake/aws/cfn.py",  # template tooling
    "cinelake/aws/glue_tables.py",  # template generator
    "cinelake/ops/",  # CLI commands over a local lake
    "cinelake/query.py",  # `cinelake query`
    "cinelake/runtime/emulator.py",  # the local runtime (it plays EventBridge/SQS/S3)
    "cinelake/runtime/scheduler.py",  # `cinelake schedule`
)
HANDLERS = sorted(p.stem for p in SRC_HANDLERS.glob("*.py") if p.stem != "__init__")


@pytest.fixture(scope="session")
def code_dir(package_script: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """cinelake.zip as built by `make package`, unzipped the way Lambda lays it out (/var/task)."""
    zip_path = package_script.build_code(tmp_path_factory.mktemp("code-zip"))
    task = tmp_path_factory.mktemp("task")
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(task)
    return task


def _layer_modules(package_script: ModuleType) -> dict[str, set[str]]:
    """Layer name -> the top-level modules of the distributions it pins (requirements/lambda.txt),
    as this environment installs them (one this platform does without, such as tzdata, by its
    name: it cannot be imported here either way)."""
    tops: dict[str, set[str]] = {}
    for dist in metadata.distributions():
        modules = tops.setdefault(package_script.canonical(dist.metadata["Name"]), set())
        for file in dist.files or []:
            first = file.parts[0]
            if not first.endswith((".dist-info", ".data", ".pth")) and first not in ("..", "bin"):
                modules.add(first.split(".")[0])  # a package folder, a module, an extension
    layers: dict[str, set[str]] = {}
    for layer, entries in package_script.read_lock().items():
        pinned = [entry.split("==", 1)[0] for entry in entries]
        layers[layer] = set().union(*(tops.get(n, {n.replace("-", "_")}) for n in pinned))
    return layers


def _handler_layers(template: dict[str, Any]) -> dict[str, list[str]]:
    """Handler module (e.g. cinelake.handlers.ingest) -> the layers its function has (core, lake)."""
    out: dict[str, list[str]] = {}
    for lid, res in template["Resources"].items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        props = function_properties(template, lid)
        module = props["Handler"].rsplit(".", 1)[0]
        out[module] = [
            Path(template["Resources"][x["Ref"]]["Properties"]["ContentUri"]).stem.removeprefix(
                "layer-"
            )
            for x in props["Layers"]
        ]
    return out


IMPORT_CHILD = textwrap.dedent("""
    import importlib, importlib.abc, json, os, sys

    task, deps, allowed_json, pruned_json, module = sys.argv[1:6]
    # Lambda's sys.path: the function code first, then the layers (here: this environment's copy
    # of exactly the layers' distributions, and the runtime's SDK).
    sys.path[:0] = [task]
    sys.path += json.loads(deps)
    allowed = set(sys.stdlib_module_names) | {"cinelake"} | set(json.loads(allowed_json))
    pruned = json.loads(pruned_json)

    class OnlyTheArtifacts(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            top = name.split(".")[0]
            if (top not in allowed and not top.startswith("_sysconfigdata")) or any(
                    name == p or name.startswith(p + ".") for p in pruned):
                raise ModuleNotFoundError(f"No module named {name!r} in the Lambda artifacts", name=name)
            return None

    sys.meta_path.insert(0, OnlyTheArtifacts())
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    handler = importlib.import_module(module).handler
    assert callable(handler), module
    print(json.dumps({n: getattr(m, "__file__", None) for n, m in sys.modules.items()
                      if n == "cinelake" or n.startswith("cinelake.")}))
""")


def test_the_code_zip_has_no_cli_simulator_or_template_tooling(code_dir: Path) -> None:
    shipped = {p.relative_to(code_dir).as_posix() for p in code_dir.rglob("*") if p.is_file()}
    for part in NOT_SHIPPED:
        assert not [n for n in shipped if n == part or n.startswith(part)], part
    for name in HANDLERS:
        assert f"cinelake/handlers/{name}.py" in shipped
    assert "cinelake/sample/top_movies.json" in shipped  # a run without --source reads it
    # The gold function publishes the dashboard page: its template and assets ship.
    for asset in ("template.html", "dashboard.js", "dashboard.css", "render.py"):
        assert f"cinelake/dashboard/{asset}" in shipped


@pytest.mark.parametrize("name", HANDLERS)
def test_each_handler_imports_from_the_packaged_layout(
    name: str, code_dir: Path, package_script: ModuleType, template: dict[str, Any]
) -> None:
    """Each handler imports with only what its function has: the unzipped code, its layers'
    distributions and the runtime's SDK — not the source tree, not the dev tools."""
    module = f"cinelake.handlers.{name}"
    layers = _handler_layers(template)
    assert module in layers, f"{module} is no function's handler in template.yaml"
    by_layer = _layer_modules(package_script)
    allowed = set().union(*(by_layer[layer] for layer in layers[module])) | RUNTIME_PROVIDED
    paths = sysconfig.get_paths()
    deps = sorted({paths["purelib"], paths["platlib"]})
    result = subprocess.run(
        [
            sys.executable,
            "-I",  # no PYTHONPATH, no user site
            "-S",  # no site-packages, no .pth (so not the editable install of src/)
            "-c",
            IMPORT_CHILD,
            str(code_dir),
            json.dumps(deps),
            json.dumps(sorted(allowed)),
            json.dumps(list(package_script.PRUNED_MODULES)),
            module,
        ],
        capture_output=True,
        text=True,
        cwd=code_dir,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert module in loaded
    outside = {n: f for n, f in loaded.items() if f and not Path(f).is_relative_to(code_dir)}
    assert not outside, f"imported from outside the zip: {outside}"


def test_no_handler_reaches_what_the_zip_leaves_out_even_lazily(code_dir: Path) -> None:
    """The handlers' imports, function-level ones included, stay inside the shipped code."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("cinelake")
    shipped = {
        ".".join(p.relative_to(code_dir).with_suffix("").parts).removesuffix(".__init__")
        for p in code_dir.rglob("*.py")
    }
    chains = []
    for name in HANDLERS:
        module = f"cinelake.handlers.{name}"
        for needed in sorted(graph.find_upstream_modules(module) - shipped):
            chain = graph.find_shortest_chain(importer=module, imported=needed)
            chains.append(" -> ".join(chain or (module, needed)))
    assert not chains, "\n".join(chains)
