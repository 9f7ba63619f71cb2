//! Clients generated from the served document by mainstream generators, used
//! as a new customer would, without a line of patching: openapi-python-client
//! (Python), openapi-typescript + openapi-fetch (TypeScript, compiled with
//! `tsc --strict`), and openapi-generator, the most used of all, with its
//! `python` and `typescript-fetch` generators, each running the whole
//! customer session against a live server; and `@redocly/cli lint` with its
//! recommended rules finding no error.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use usher_tests::{TestApp, node_tool, node_tools, python_tool};

const CLIENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/clients");

/// The document as the server serves it, written to `dir/openapi.json`.
async fn served_document(app: &TestApp, dir: &Path) -> (PathBuf, Value) {
    let doc: Value = app
        .api
        .http()
        .get(format!("{}/api/openapi.json", app.api.base()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = dir.join("openapi.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    (path, doc)
}

fn run(command: &mut Command, what: &str) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{what} failed:\n{text}");
    text
}

/// Runs a customer session program against `app` as `account`: the server,
/// the key and the sandbox come in `USHER_URL`, `USHER_KEY`, `SANDBOX_URL`.
fn session(command: &mut Command, app: &TestApp, key: &str, what: &str) -> String {
    run(
        command
            .env("USHER_URL", app.api.base())
            .env("USHER_KEY", key)
            .env("SANDBOX_URL", app.sandbox.api_url()),
        what,
    )
}

/// Copies the session `file` of `tests/clients` into `dir` and compiles it
/// and the `sources` beside it with `tsc --strict` as an ES module into
/// `dir/out`.
fn compile_typescript(dir: &Path, file: &str, sources: &str) {
    std::fs::copy(Path::new(CLIENTS).join(file), dir.join(file)).unwrap();
    std::fs::write(dir.join("package.json"), r#"{"type":"module"}"#).unwrap();
    std::fs::write(
        dir.join("tsconfig.json"),
        format!(
            r#"{{"compilerOptions":{{"strict":true,"target":"ES2022","module":"NodeNext",
            "moduleResolution":"NodeNext","lib":["ES2022","DOM"],"outDir":"out",
            "skipLibCheck":false,"noEmitOnError":true}},"include":["{file}",{sources}]}}"#
        ),
    )
    .unwrap();
    run(
        Command::new(node_tool("tsc")).arg("-p").arg(dir),
        &format!("tsc --strict ({file})"),
    );
}

fn scratch(under: &Path, name: &str) -> PathBuf {
    let dir = under.join(format!("{name}-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn the_python_client_runs_the_customer_session() {
    let app = TestApp::start().await;
    let account = app.account().await;
    let dir = scratch(&std::env::temp_dir(), "usher-python-client");
    let (doc, served) = served_document(&app, &dir).await;
    assert_eq!(
        served["servers"][0]["url"], app.settings.http.public_url,
        "servers come from configuration"
    );
    std::fs::write(dir.join("config.yaml"), "post_hooks: []\n").unwrap();
    let generated = run(
        Command::new(python_tool("openapi-python-client"))
            .args(["generate", "--meta", "none", "--output-path"])
            .arg(dir.join("usher_client"))
            .arg("--path")
            .arg(&doc)
            .arg("--config")
            .arg(dir.join("config.yaml")),
        "openapi-python-client generate",
    );
    assert!(
        !generated.contains("Warning"),
        "the generator warned:\n{generated}"
    );
    let session = session(
        Command::new(python_tool("python3"))
            .arg(Path::new(CLIENTS).join("python_session.py"))
            .env("CLIENT_PARENT", &dir),
        &app,
        &account.key,
        "the Python session",
    );
    assert!(session.contains("python session: ok"), "{session}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_typescript_client_compiles_strictly_and_runs_the_customer_session() {
    let app = TestApp::start().await;
    let account = app.account().await;
    // Under the npm tools, so that `openapi-fetch` resolves.
    let dir = scratch(&node_tools().join("sessions"), "ts");
    let (doc, _) = served_document(&app, &dir).await;
    run(
        Command::new(node_tool("openapi-typescript"))
            .arg(&doc)
            .arg("--output")
            .arg(dir.join("schema.ts")),
        "openapi-typescript",
    );
    compile_typescript(&dir, "session.ts", r#""schema.ts""#);
    let session = session(
        Command::new("node").arg(dir.join("out/session.js")),
        &app,
        &account.key,
        "the TypeScript session",
    );
    assert!(session.contains("typescript session: ok"), "{session}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `openapi-generator generate -g <generator>` of `doc` into `out`; what it
/// printed, which must not name a model it had to rename.
fn openapi_generator(generator: &str, doc: &Path, out: &Path, properties: &str) -> String {
    let printed = run(
        Command::new(python_tool("openapi-generator-cli"))
            .args(["generate", "-g", generator, "-i"])
            .arg(doc)
            .arg("-o")
            .arg(out)
            .arg(format!("--additional-properties={properties}")),
        &format!("openapi-generator {generator}"),
    );
    // `File` is the `{file}` of `/docs/{file}`, the reference page's
    // assets, not a schema of the API.
    let renamed: Vec<&str> = printed
        .lines()
        .filter(|l| l.contains("cannot be used as a model name") && !l.contains("File "))
        .collect();
    assert!(
        renamed.is_empty(),
        "{generator} renamed a schema:\n{}",
        renamed.join("\n")
    );
    printed
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_generator_python_client_runs_the_customer_session_with_the_query_key() {
    let app = TestApp::start().await;
    let account = app.account().await;
    let dir = scratch(&std::env::temp_dir(), "usher-oag-python");
    let (doc, _) = served_document(&app, &dir).await;
    let out = dir.join("generated");
    openapi_generator("python", &doc, &out, "packageName=usher_oag");
    let session = session(
        Command::new(python_tool("python3"))
            .arg(Path::new(CLIENTS).join("oag_python_session.py"))
            .env("CLIENT_PARENT", &out),
        &app,
        &account.key,
        "the openapi-generator Python session",
    );
    assert!(
        session.contains("openapi-generator python session: ok"),
        "{session}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_generator_typescript_fetch_client_compiles_strictly_and_runs_the_session() {
    let app = TestApp::start().await;
    let account = app.account().await;
    let dir = scratch(&std::env::temp_dir(), "usher-oag-ts");
    let (doc, _) = served_document(&app, &dir).await;
    openapi_generator(
        "typescript-fetch",
        &doc,
        &dir.join("client"),
        "supportsES6=true,importFileExtension=.js",
    );
    compile_typescript(&dir, "oag_session.ts", r#""client/**/*.ts""#);
    let session = session(
        Command::new("node").arg(dir.join("out/oag_session.js")),
        &app,
        &account.key,
        "the typescript-fetch session",
    );
    assert!(
        session.contains("typescript-fetch session: ok"),
        "{session}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn redocly_lint_with_the_recommended_rules_finds_no_error() {
    let app = TestApp::start().await;
    let dir = scratch(&std::env::temp_dir(), "usher-redocly");
    let (doc, _) = served_document(&app, &dir).await;
    let output = Command::new(node_tool("redocly"))
        .arg("lint")
        .arg(&doc)
        .args(["--format", "summary"])
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "redocly found errors:\n{text}");
    // The warnings the fixed conventions force, and only those (README).
    let forced = [
        "operation-4xx-response",
        "operation-2xx-response",
        "no-server-example.com",
    ];
    for line in text
        .lines()
        .filter(|l| l.trim_start().starts_with("warning "))
    {
        assert!(
            forced.iter().any(|rule| line.contains(rule)),
            "an unexpected warning: {line}\n{text}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
