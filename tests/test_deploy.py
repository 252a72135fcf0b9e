"""deploy/: well-formed, and consistent with the settings, the CLI and the API.

There is no container engine in the test environment, so the compose file, the
Kubernetes manifests and the Dockerfile are checked statically: every
POWERTRACK_* variable names a Settings field and holds a valid value, every
command is a real ``powertrack`` command with options it accepts, probes ask
the API's real health route, and the two sides differ only in ``--side``.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
import yaml
from pydantic import ValidationError
from typer.core import TyperGroup

from powertrack.api import create_app
from powertrack.api.routes.health import health
from powertrack.broker import SIDES
from powertrack.cli.main import app as cli_app
from powertrack.settings import Settings
from powertrack.store import open_store

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
ENV_EXAMPLE = DEPLOY / ".env.example"

POWERTRACK_SERVICES = ("migrate", "api", "filter-a", "filter-b")
HEALTHCHECKED = ("kafka", "zookeeper", "mariadb", "api")
VARIABLE = re.compile(r"\bPOWERTRACK_[A-Z0-9_]+\b")
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<rule>:?[?-][^}]*)?\}")
PLACEHOLDER = "REPLACE_ME"

Doc = dict[str, Any]

# The CLI's usage errors, whether typer uses click or its own copy of it.
UsageError: type[Exception] = next(
    cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "UsageError"
)


def _pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def _load_all(path: Path) -> list[Doc]:
    with path.open(encoding="utf-8") as file:
        docs = [doc for doc in yaml.safe_load_all(file) if doc is not None]
    assert docs, f"{path} holds no YAML document"
    for doc in docs:
        assert isinstance(doc, dict), f"{path}: a document is not a mapping"
    return docs


def _yaml_files() -> list[Path]:
    return sorted([COMPOSE, *K8S.glob("*.yaml")])


@pytest.fixture(scope="module")
def compose() -> Doc:
    [doc] = _load_all(COMPOSE)
    return doc


@pytest.fixture(scope="module")
def manifests() -> list[Doc]:
    docs = [doc for path in sorted(K8S.glob("*.yaml")) for doc in _load_all(path)]
    return [doc for doc in docs if doc["kind"] != "Kustomization"]


def _one(manifests: list[Doc], kind: str, name: str) -> Doc:
    found = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def _pod_spec(manifest: Doc) -> Doc:
    spec: Doc = manifest["spec"]["template"]["spec"]
    return spec


def _workloads(manifests: list[Doc]) -> Iterator[Doc]:
    return (m for m in manifests if m["kind"] in ("Deployment", "Job"))


def _fill_interpolations(value: str) -> str:
    """The value compose would pass, with each required variable given a valid secret."""
    return INTERPOLATION.sub("s3cret-" + "x" * 17, value)


def _settings_from(env: dict[str, str]) -> Settings:
    fields = {}
    for variable, value in env.items():
        assert variable.startswith("POWERTRACK_")
        fields[variable.removeprefix("POWERTRACK_").lower()] = value
    # model_validate validates the values alone, without reading the environment.
    return Settings.model_validate(fields)


# --- well-formed ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda path: str(path.relative_to(DEPLOY)))
def test_every_yaml_file_parses(path: Path) -> None:
    for doc in _load_all(path):
        if path.parent == K8S:
            assert {"apiVersion", "kind"} <= doc.keys(), path
            if doc["kind"] != "Kustomization":
                assert doc["metadata"]["name"], path


def test_kustomization_lists_every_manifest_once() -> None:
    [kustomization] = _load_all(K8S / "kustomization.yaml")
    resources = kustomization["resources"]
    assert len(resources) == len(set(resources))
    on_disk = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(resources) == on_disk
    assert kustomization["namespace"] == "powertrack"


def test_k8s_selectors_match_their_pods(manifests: list[Doc]) -> None:
    for deployment in (m for m in manifests if m["kind"] == "Deployment"):
        selector = deployment["spec"]["selector"]["matchLabels"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), deployment["metadata"]["name"]
    service = _one(manifests, "Service", "powertrack-api")
    api_labels = _one(manifests, "Deployment", "powertrack-api")["spec"]["template"]["metadata"]
    assert service["spec"]["selector"].items() <= api_labels["labels"].items()


# --- compose -------------------------------------------------------------------------------


def test_compose_has_the_services_with_health_checks(compose: Doc) -> None:
    services = compose["services"]
    assert set(HEALTHCHECKED) | set(POWERTRACK_SERVICES) <= services.keys()
    for name in HEALTHCHECKED:
        test = services[name]["healthcheck"]["test"]
        assert isinstance(test, list), name
        assert test[0] in ("CMD", "CMD-SHELL"), name
        assert len(test) > 1, name


def test_compose_images(compose: Doc) -> None:
    services = compose["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["zookeeper"]["image"].startswith("zookeeper:")
    # MariaDB: the MySQL-compatible server the store's contract suite runs on.
    assert services["mariadb"]["image"].startswith("mariadb:")
    for name in POWERTRACK_SERVICES:
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (DEPLOY / services[name]["build"]["context"] / "pyproject.toml").exists()


def test_compose_dependencies_wait_for_health_or_completion(compose: Doc) -> None:
    services = compose["services"]
    for name, service in services.items():
        for target, rule in service.get("depends_on", {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            condition = rule["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits on {target}'s health"
            else:
                assert condition == "service_completed_successfully", (name, target)
                assert services[target]["restart"] == "no", f"{target} must run once"
    for name in ("api", "filter-a", "filter-b"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["migrate"]["depends_on"]["mariadb"]["condition"] == "service_healthy"


def test_compose_takes_secrets_from_the_env_file_never_a_default(compose: Doc) -> None:
    services = compose["services"]
    token = services["api"]["environment"]["POWERTRACK_ADMIN_TOKEN"]
    assert re.fullmatch(r"\$\{POWERTRACK_ADMIN_TOKEN:\?[^}]+\}", token)
    password = services["mariadb"]["environment"]["MARIADB_PASSWORD"]
    assert re.fullmatch(r"\$\{MARIADB_PASSWORD:\?[^}]+\}", password)
    for name in POWERTRACK_SERVICES:
        url = services[name]["environment"]["POWERTRACK_DATABASE_URL"]
        assert "${MARIADB_PASSWORD:?" in url, name

    text = COMPOSE.read_text(encoding="utf-8")
    required = {m["name"] for m in INTERPOLATION.finditer(text)}
    for match in INTERPOLATION.finditer(text):
        assert (match["rule"] or "").startswith(":?"), f"{match[0]} has a default"
    example = {
        line.split("=", 1)[0]: line.split("=", 1)[1]
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    assert set(example) == required
    assert all(value == "" for value in example.values()), ".env.example must hold no secret"


def test_compose_powertrack_settings_are_valid(compose: Doc) -> None:
    for name in POWERTRACK_SERVICES:
        environment = compose["services"][name]["environment"]
        env = {key: _fill_interpolations(str(value)) for key, value in environment.items()}
        settings = _settings_from(env)
        assert settings.kafka_bootstrap == "kafka:9092", name
        assert settings.zookeeper_hosts == "zookeeper:2181", name
        assert settings.database_url.startswith("mysql://powertrack:"), name
        assert settings.database_url.endswith("@mariadb:3306/powertrack"), name
    api = _settings_from(
        {
            k: _fill_interpolations(str(v))
            for k, v in compose["services"]["api"]["environment"].items()
        }
    )
    assert api.admin_token is not None
    assert api.api_host == "0.0.0.0"
    published = compose["services"]["api"]["ports"]
    assert [int(port.rsplit(":", 1)[1]) for port in published] == [api.api_port]


# --- kubernetes ----------------------------------------------------------------------------


def _k8s_env(manifests: list[Doc], container: Doc) -> dict[str, str]:
    """The POWERTRACK_* variables a container sees, secrets resolved from the Secret."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        config = _one(manifests, "ConfigMap", source["configMapRef"]["name"])
        env.update(config["data"])
    for item in container.get("env", []):
        ref = item["valueFrom"]["secretKeyRef"]
        secret = _one(manifests, "Secret", ref["name"])
        env[item["name"]] = secret["stringData"][ref["key"]]
    return env


def test_k8s_secret_holds_placeholders_the_api_refuses(manifests: list[Doc]) -> None:
    secret = _one(manifests, "Secret", "powertrack-secrets")
    assert "data" not in secret
    values = secret["stringData"]
    assert set(values) == {"POWERTRACK_ADMIN_TOKEN", "POWERTRACK_DATABASE_URL"}
    assert all(PLACEHOLDER in value for value in values.values())
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings.model_validate({"admin_token": values["POWERTRACK_ADMIN_TOKEN"]})


def test_k8s_settings_are_valid_and_secrets_go_where_needed(manifests: list[Doc]) -> None:
    config = _one(manifests, "ConfigMap", "powertrack-config")["data"]
    assert not {"POWERTRACK_ADMIN_TOKEN", "POWERTRACK_DATABASE_URL"} & config.keys()
    assert all(isinstance(value, str) for value in config.values()), "ConfigMap values are strings"
    for workload in _workloads(manifests):
        [container] = _pod_spec(workload)["containers"]
        env = _k8s_env(manifests, container)
        name = workload["metadata"]["name"]
        # Only the API holds the admin token.
        assert ("POWERTRACK_ADMIN_TOKEN" in env) == (name == "powertrack-api"), name
        env = {key: value.replace(PLACEHOLDER, "s3cret-" + "x" * 17) for key, value in env.items()}
        settings = _settings_from(env)
        assert settings.database_url.startswith("mysql://"), name
        assert settings.kafka_bootstrap, name
        assert settings.zookeeper_hosts, name


def test_filter_sides_are_separate_deployments_differing_only_in_side(
    manifests: list[Doc], compose: Doc
) -> None:
    filters = {
        m["metadata"]["labels"]["powertrack.io/side"]: m
        for m in manifests
        if m["kind"] == "Deployment"
        and m["metadata"]["labels"]["app.kubernetes.io/component"] == "filter"
    }
    assert sorted(filters) == sorted(SIDES)

    def normalized(deployment: Doc, side: str) -> Doc:
        doc = copy.deepcopy(deployment)
        assert doc["metadata"]["name"] == f"powertrack-filter-{side.lower()}"
        doc["metadata"]["name"] = "powertrack-filter-SIDE"
        for labels in (
            doc["metadata"]["labels"],
            doc["spec"]["selector"]["matchLabels"],
            doc["spec"]["template"]["metadata"]["labels"],
        ):
            assert labels["powertrack.io/side"] == side
            labels["powertrack.io/side"] = "SIDE"
        [container] = _pod_spec(doc)["containers"]
        args = container["args"]
        assert args[args.index("--side") + 1] == side
        args[args.index("--side") + 1] = "SIDE"
        return doc

    a, b = (normalized(filters[side], side) for side in sorted(SIDES))
    assert a == b
    images = {_pod_spec(d)["containers"][0]["image"] for d in filters.values()}
    assert len(images) == 1

    commands = {
        side: compose["services"][f"filter-{side.lower()}"]["command"] for side in sorted(SIDES)
    }
    for side, command in list(commands.items()):
        at = command.index("--side") + 1
        assert command[at] == side
        commands[side] = [*command[:at], "SIDE", *command[at + 1 :]]
    assert commands["A"] == commands["B"]


# --- commands ------------------------------------------------------------------------------


def _commands(compose: Doc, manifests: list[Doc]) -> list[tuple[str, list[str]]]:
    found = []
    for name in POWERTRACK_SERVICES:
        service = compose["services"][name]
        assert "entrypoint" not in service, f"{name} must run the image's entrypoint"
        found.append((f"compose {name}", service["command"]))
    for workload in _workloads(manifests):
        for container in _pod_spec(workload)["containers"]:
            assert "command" not in container, "containers must run the image's entrypoint"
            found.append((f"k8s {workload['metadata']['name']}", container["args"]))
    return found


def _parse_cli(argv: list[str]) -> tuple[list[str], dict[str, Any]]:
    """The subcommand path argv names and its parsed parameters; raises on a bad argv."""
    command = typer.main.get_command(cli_app)
    parent = None
    path = ["powertrack"]
    rest = list(argv)
    while isinstance(command, TyperGroup):
        assert rest, f"{path} needs a subcommand"
        context = command.context_class(command, info_name=path[-1], parent=parent)
        name = rest.pop(0)
        sub = command.get_command(context, name)
        assert sub is not None, f"`{' '.join(path)}` has no command {name!r}"
        parent, command = context, sub
        path.append(name)
    context = command.make_context(path[-1], rest, parent=parent)
    return path[1:], context.params


def test_every_command_is_a_real_cli_command(compose: Doc, manifests: list[Doc]) -> None:
    seen = set()
    for where, argv in _commands(compose, manifests):
        try:
            path, params = _parse_cli(argv)
        except UsageError as error:
            pytest.fail(f"{where}: `powertrack {' '.join(argv)}`: {error}")
        seen.add(" ".join(path))
        if path == ["filter"]:
            assert params["side"] in SIDES, where
            assert params["stack"] == "main", where
    assert seen == {"db migrate", "api", "filter"}


def test_the_cli_check_rejects_what_the_cli_rejects() -> None:
    with pytest.raises(UsageError, match="No such option"):
        _parse_cli(["filter", "--sides", "A"])
    with pytest.raises(AssertionError, match="no command 'serve'"):
        _parse_cli(["serve"])
    with pytest.raises(typer.BadParameter):
        _parse_cli(["broker", "--port", "0"])


# --- health --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def health_path() -> str:
    app = create_app(Settings.model_validate({}), open_store("sqlite://:memory:"))
    path = str(app.url_path_for(health.__name__))
    assert "get" in app.openapi()["paths"][path]
    return path


def test_k8s_probes_ask_the_api_health_route(manifests: list[Doc], health_path: str) -> None:
    config = _one(manifests, "ConfigMap", "powertrack-config")["data"]
    api = _one(manifests, "Deployment", "powertrack-api")
    [container] = _pod_spec(api)["containers"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": int(config["POWERTRACK_API_PORT"])}
    for probe in ("startupProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": health_path, "port": "http"}, probe
    assert "livenessProbe" in container
    for key in ("startupProbe", "readinessProbe", "livenessProbe"):
        for action in container[key].values():
            if isinstance(action, dict) and "port" in action:
                assert action["port"] in ports, key
    service = _one(manifests, "Service", "powertrack-api")
    assert [port["targetPort"] for port in service["spec"]["ports"]] == ["http"]

    for workload in _workloads(manifests):
        for each in _pod_spec(workload)["containers"]:
            for key in ("startupProbe", "readinessProbe", "livenessProbe"):
                if "httpGet" in each.get(key, {}):
                    assert each[key]["httpGet"]["path"] == health_path
    for side in ("a", "b"):
        [node] = _pod_spec(_one(manifests, "Deployment", f"powertrack-filter-{side}"))["containers"]
        assert "exec" in node["livenessProbe"]


def test_compose_api_healthcheck_asks_the_health_route(compose: Doc, health_path: str) -> None:
    api = compose["services"]["api"]
    port = api["environment"]["POWERTRACK_API_PORT"]
    assert f"http://127.0.0.1:{port}{health_path}'" in " ".join(api["healthcheck"]["test"])


# --- image ---------------------------------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    instructions, current = [], ""
    for line in lines:
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            keyword, _, rest = current.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
            current = ""
    return instructions


def test_dockerfile_runs_the_console_script_as_a_non_root_user() -> None:
    instructions = _dockerfile_instructions()
    [script] = _pyproject()["project"]["scripts"]
    assert _pyproject()["project"]["scripts"][script] == "powertrack.cli.main:main"
    [entrypoint] = [rest for keyword, rest in instructions if keyword == "ENTRYPOINT"]
    assert json.loads(entrypoint) == [script]
    assert instructions[0] == ("FROM", "python:3.11-slim")
    [user] = [rest for keyword, rest in instructions if keyword == "USER"]
    assert user.split(":")[0] not in ("root", "0")
    assert [k for k, _ in instructions].index("USER") > [k for k, _ in instructions].index("RUN")


def test_image_tags_follow_the_project_version(compose: Doc, manifests: list[Doc]) -> None:
    image = f"powertrack:{_pyproject()['project']['version']}"
    for name in POWERTRACK_SERVICES:
        assert compose["services"][name]["image"] == image, name
    for workload in _workloads(manifests):
        for container in _pod_spec(workload)["containers"]:
            assert container["image"] == image, workload["metadata"]["name"]
    [kustomization] = _load_all(K8S / "kustomization.yaml")
    assert kustomization["images"] == [{"name": "powertrack", "newTag": image.split(":")[1]}]


def test_containers_run_as_the_image_user(manifests: list[Doc]) -> None:
    for workload in _workloads(manifests):
        pod = _pod_spec(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001
    assert "USER 10001:10001" in DOCKERFILE.read_text(encoding="utf-8")


# --- settings ------------------------------------------------------------------------------


def test_every_powertrack_variable_in_deploy_is_a_settings_field() -> None:
    valid = {f"POWERTRACK_{name.upper()}" for name in Settings.model_fields}
    used: dict[str, set[str]] = {}
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file()):
        for variable in VARIABLE.findall(path.read_text(encoding="utf-8")):
            used.setdefault(variable, set()).add(str(path.relative_to(ROOT)))
    unknown = {variable: sorted(paths) for variable, paths in used.items() if variable not in valid}
    assert not unknown, f"not Settings fields: {unknown}"
    assert {"POWERTRACK_DATABASE_URL", "POWERTRACK_ADMIN_TOKEN"} <= used.keys()
