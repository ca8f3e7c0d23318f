//! deploy/k8s without a cluster: every manifest against the Kubernetes
//! schemas (PyPI's kubernetes-validate, strict, at the oldest and newest
//! Kubernetes it knows), then what no schema sees: the bench Job is an
//! Indexed Job whose pods spread by anti-affinity, ask for resources, name
//! the shard count the binary reads, and pass arguments `imgwire bench`
//! plans for every shard; its URLs name the Service serve.yaml defines, whose
//! Deployment passes arguments `imgwire serve` accepts.

use super::{repo_path, succeed};
use clap::Parser;
use imgwire::cli::Command as Subcommand;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The oldest Kubernetes whose schemas kubernetes-validate 1.37 carries
/// (Indexed Jobs are stable since 1.24), and its default: the newest.
const KUBERNETES_VERSIONS: [Option<&str>; 2] = [Some("1.25.0"), None];

/// What `run.sh --print 3 12 5` renders: 3 shards, 12 workers in all, 5 s.
const SHARDS: usize = 3;

/// kubernetes-validate in the venv scripts/install-scale-out.sh makes.
fn validator() -> PathBuf {
    let cache = std::env::var_os("IMGWIRE_TARGETS_CACHE")
        .map_or_else(|| repo_path("target/targets"), PathBuf::from);
    let path = cache.join("kv/bin/kubernetes-validate");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/install-scale-out.sh",
        path.display()
    );
    path
}

/// bench-job.yaml as deploy/k8s/run.sh applies it, without applying it.
fn rendered_job() -> String {
    let out = succeed(
        Command::new(repo_path("deploy/k8s/run.sh")).args(["--print", "3", "12", "5"]),
        "deploy/k8s/run.sh --print",
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `kubernetes-validate --strict FILES` at each version; the outputs.
fn validate(files: &[PathBuf]) -> Vec<std::process::Output> {
    KUBERNETES_VERSIONS
        .iter()
        .map(|version| {
            let mut command = Command::new(validator());
            command.arg("--strict");
            if let Some(version) = version {
                command.args(["-k", version]);
            }
            command
                .args(files)
                .output()
                .expect("kubernetes-validate runs")
        })
        .collect()
}

/// The YAML documents of `text`, read by the validator's own PyYAML.
fn yaml_documents(text: &str) -> Vec<Value> {
    let python = validator().with_file_name("python");
    let mut child = Command::new(python)
        .args([
            "-c",
            "import json, sys, yaml\njson.dump(list(yaml.safe_load_all(sys.stdin)), sys.stdout)",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the venv's python runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "YAML that does not parse:\n{text}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The one document of `kind` among `documents`.
fn document<'a>(documents: &'a [Value], kind: &str) -> &'a Value {
    let mut of_kind = documents.iter().filter(|d| d["kind"] == kind);
    let found = of_kind
        .next()
        .unwrap_or_else(|| panic!("no {kind} in {documents:?}"));
    assert!(of_kind.next().is_none(), "more than one {kind}");
    found
}

/// A container's environment: each variable's value, or for one the
/// downward API fills, its field path.
fn environment(container: &Value) -> BTreeMap<String, String> {
    let env = container["env"].as_array().cloned().unwrap_or_default();
    env.iter()
        .map(|var| {
            let value = var["value"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| {
                    let path = &var["valueFrom"]["fieldRef"]["fieldPath"];
                    format!("fieldRef:{}", path.as_str().unwrap_or("?"))
                });
            (var["name"].as_str().unwrap().to_string(), value)
        })
        .collect()
}

/// The container's arguments with `$(VAR)` replaced as the kubelet does.
fn expanded_args(container: &Value, env: &BTreeMap<String, String>) -> Vec<String> {
    let args = container["args"].as_array().expect("the container's args");
    args.iter()
        .map(|arg| {
            let mut arg = arg.as_str().unwrap().to_string();
            for (name, value) in env {
                arg = arg.replace(&format!("$({name})"), value);
            }
            arg
        })
        .collect()
}

/// The value after `flag` in `args`.
fn flag_value<'a>(args: &'a [String], flag: &str) -> &'a str {
    let at = args.iter().position(|a| a == flag);
    let at = at.unwrap_or_else(|| panic!("no {flag} in {args:?}"));
    &args[at + 1]
}

/// `imgwire ARGS` as the binary parses it.
fn parse(args: &[String]) -> Subcommand {
    let argv = std::iter::once("imgwire").chain(args.iter().map(String::as_str));
    match imgwire::Cli::try_parse_from(argv) {
        Ok(cli) => cli.command,
        Err(e) => panic!("imgwire does not take the manifest's {args:?}:\n{e}"),
    }
}

#[test]
#[ignore = "needs kubernetes-validate: scripts/install-scale-out.sh (run by scripts/test.sh)"]
fn every_manifest_validates_against_the_kubernetes_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let job = rendered_job();
    let unfilled = job
        .lines()
        .find(|line| !line.trim_start().starts_with('#') && line.contains("${"));
    assert_eq!(unfilled, None, "run.sh left a field unfilled");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(repo_path("deploy/k8s")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            files.push(path);
        }
    }
    files.sort();
    let template = repo_path("deploy/k8s/bench-job.yaml");
    assert!(files.contains(&template) && files.len() >= 2, "{files:?}");
    // The control: the template itself is no valid Job (its fields are
    // ${...} text), so the validator does look at it.
    assert!(validate(std::slice::from_ref(&template))
        .iter()
        .all(|o| !o.status.success()));

    let rendered = dir.path().join("bench-job.yaml");
    std::fs::write(&rendered, job).unwrap();
    let files: Vec<PathBuf> = files
        .into_iter()
        .map(|f| if f == template { rendered.clone() } else { f })
        .collect();
    for out in validate(&files) {
        assert!(
            out.status.success(),
            "kubernetes-validate --strict:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Whether `selector` (matchLabels) selects pods labelled `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    let wanted = selector["matchLabels"].as_object().expect("matchLabels");
    !wanted.is_empty() && wanted.iter().all(|(k, v)| &labels[k] == v)
}

/// The Job's scheduling: Indexed, every shard at once, one a node where
/// the nodes exist, resources asked for.
fn check_scheduling(job: &Value) {
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!(spec["completions"].as_u64(), Some(SHARDS as u64));
    assert_eq!(spec["parallelism"], spec["completions"]);
    let pod = &spec["template"]["spec"];
    let labels = &spec["template"]["metadata"]["labels"];
    let anti = &pod["affinity"]["podAntiAffinity"];
    let terms = anti["preferredDuringSchedulingIgnoredDuringExecution"]
        .as_array()
        .expect("a preferred anti-affinity");
    assert!(
        terms.iter().any(|t| {
            let term = &t["podAffinityTerm"];
            term["topologyKey"] == "kubernetes.io/hostname"
                && selects(&term["labelSelector"], labels)
        }),
        "no anti-affinity term spreads the Job's own pods over hosts: {anti}"
    );
    let requests = &pod["containers"][0]["resources"]["requests"];
    assert!(
        requests["cpu"].is_string() && requests["memory"].is_string(),
        "{requests}"
    );
}

#[test]
#[ignore = "needs kubernetes-validate: scripts/install-scale-out.sh (run by scripts/test.sh)"]
fn the_bench_job_is_an_indexed_job_whose_arguments_imgwire_plans_for_every_shard() {
    let before = std::time::SystemTime::now() - std::time::Duration::from_secs(1);
    let documents = yaml_documents(&rendered_job());
    let job = document(&documents, "Job");
    check_scheduling(job);
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    let env = environment(container);

    // The shard count goes where the binary looks for it beside
    // JOB_COMPLETION_INDEX, and the start time is one it reads, ahead.
    let pair = imgwire::shard::LAUNCHER_VARIABLES
        .iter()
        .find(|(index, _)| *index == "JOB_COMPLETION_INDEX")
        .expect("imgwire reads JOB_COMPLETION_INDEX");
    assert_eq!(env.get(pair.1), Some(&SHARDS.to_string()), "{env:?}");
    let start_at = imgwire::shard::parse_start_at(&env["IMGWIRE_START_AT"]).unwrap();
    assert!(start_at > before, "--start-at is not ahead: {env:?}");
    assert_eq!(
        env.get("IMGWIRE_JOB_UID").map(String::as_str),
        Some("fieldRef:metadata.labels['controller-uid']"),
        "the run id's source: {env:?}"
    );

    // The kubelet fills the uid in: a Job's uid looks like this one.
    let mut filled = env.clone();
    filled.insert(
        "IMGWIRE_JOB_UID".into(),
        "3f1c2a9e-8d4b-4c1e-9a57-0e2b6d4c8f10".into(),
    );
    let args = expanded_args(container, &filled);
    assert_eq!(args[0], "bench", "{args:?}");
    assert_eq!(
        flag_value(&args, "--run-id"),
        "imgwire-bench-3f1c2a9e-8d4b-4c1e-9a57-0e2b6d4c8f10",
        "one run id for every shard, from the Job"
    );
    assert_eq!(
        flag_value(&args, "--export-json"),
        "-",
        "JSON lines for `kubectl logs`"
    );
    for index in 0..SHARDS {
        let mut shard_args = args.clone();
        shard_args.extend(["--shard".into(), format!("{index}/{SHARDS}")]);
        let Subcommand::Bench(bench) = parse(&shard_args) else {
            panic!("not a bench command: {args:?}")
        };
        if let Err(e) = bench.plan() {
            panic!("imgwire bench refuses shard {index} of the Job's {args:?}: {e}");
        }
    }
    check_urls_name_the_service(&args);
}

/// The bench's --rest-url and --grpc-url: host and port of serve.yaml's
/// Service.
fn check_urls_name_the_service(bench_args: &[String]) {
    let serve = std::fs::read_to_string(repo_path("deploy/k8s/serve.yaml")).unwrap();
    let documents = yaml_documents(&serve);
    let service = document(&documents, "Service");
    let ports: Vec<u64> = service["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["port"].as_u64().unwrap())
        .collect();
    for flag in ["--rest-url", "--grpc-url"] {
        let url = flag_value(bench_args, flag);
        let authority = url.trim_start_matches("http://");
        let (host, port) = authority.split_once(':').expect("host:port");
        assert_eq!(host, service["metadata"]["name"], "{flag} {url}");
        assert!(
            ports.contains(&port.parse().unwrap()),
            "{flag} {url}: {ports:?}"
        );
    }
}

#[test]
#[ignore = "needs kubernetes-validate: scripts/install-scale-out.sh (run by scripts/test.sh)"]
fn the_serve_deployment_listens_where_its_service_and_probe_point() {
    let text = std::fs::read_to_string(repo_path("deploy/k8s/serve.yaml")).unwrap();
    let documents = yaml_documents(&text);
    let deployment = document(&documents, "Deployment");
    let pod = &deployment["spec"]["template"];
    assert!(selects(
        &deployment["spec"]["selector"],
        &pod["metadata"]["labels"]
    ));
    let container = &pod["spec"]["containers"][0];
    let args = expanded_args(container, &environment(container));
    let Subcommand::Serve(serve) = parse(&args) else {
        panic!("not a serve command: {args:?}")
    };
    // Each named container port is one imgwire serve listens on, on every
    // interface (a pod's loopback is reached by nobody else).
    let listening = [serve.rest_addr, serve.grpc_addr, serve.tcp_addr];
    assert!(
        listening.iter().all(|a| a.ip().is_unspecified()),
        "{listening:?}"
    );
    let names: BTreeMap<String, u16> = container["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().into(),
                p["containerPort"].as_u64().unwrap() as u16,
            )
        })
        .collect();
    for (name, port) in &names {
        assert!(
            listening.iter().any(|a| a.port() == *port),
            "{name}: {port} {listening:?}"
        );
    }
    let probe = &container["readinessProbe"]["tcpSocket"]["port"];
    assert!(
        names.contains_key(probe.as_str().unwrap_or("")),
        "probe {probe}"
    );
    let service = document(&documents, "Service");
    assert!(selects(
        &serde_json::json!({"matchLabels": service["spec"]["selector"]}),
        &pod["metadata"]["labels"]
    ));
    for port in service["spec"]["ports"].as_array().unwrap() {
        let target = port["targetPort"].as_str().unwrap_or("");
        assert!(
            names.contains_key(target),
            "Service targetPort {target}: {names:?}"
        );
    }
}
