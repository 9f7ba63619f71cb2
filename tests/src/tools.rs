//! Where the external programs some tests drive are: Chromium, and the
//! Python tools `scripts/ensure-test-tools.sh` installs.

use std::path::PathBuf;

/// `program` on the PATH.
fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// Debian's Chromium: `USHER_CHROMIUM`, else `chromium` on the PATH.
pub fn chromium() -> PathBuf {
    std::env::var_os("USHER_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| on_path("chromium"))
        .expect("Chromium is needed for this test: run scripts/ensure-test-tools.sh")
}

/// A Python tool (`schemathesis`, `openapi-spec-validator`): from the
/// virtualenv `scripts/ensure-test-tools.sh` makes in `target/tools/venv`,
/// else from the PATH.
pub fn python_tool(name: &str) -> PathBuf {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/tools/venv/bin")
        .join(name);
    if venv.is_file() {
        return venv;
    }
    on_path(name).unwrap_or_else(|| {
        panic!("{name} is needed for this test: run scripts/ensure-test-tools.sh")
    })
}

/// A tool from npm (`tsc`, `openapi-typescript`, `redocly`), from
/// `target/tools/node` where `scripts/ensure-test-tools.sh` installs them.
pub fn node_tool(name: &str) -> PathBuf {
    let bin = node_tools().join("node_modules/.bin").join(name);
    assert!(
        bin.is_file(),
        "{name} is needed for this test: run scripts/ensure-test-tools.sh"
    );
    bin
}

/// `target/tools/node`: npm packages the tests use; a project made under it
/// resolves them.
pub fn node_tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/tools/node")
}
