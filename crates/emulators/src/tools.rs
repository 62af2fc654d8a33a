//! Finding the emulators that `scripts/install-tools.sh` installed.

use std::path::{Path, PathBuf};

use crate::error::EmulatorError;

/// Overrides where the tools directory is (the one install-tools.sh honours too).
pub const TOOLS_DIR_ENV: &str = "STREAMDLQ_TOOLS_DIR";

/// The git-ignored directory the install script fills, `.tools/` at the
/// repository root by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolsDir {
    root: PathBuf,
}

impl ToolsDir {
    /// A tools directory at a known path; nothing is checked until an
    /// emulator is looked up.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `$STREAMDLQ_TOOLS_DIR` if set, else the first `.tools` directory in
    /// the current directory or its ancestors, then in those of
    /// `$CARGO_MANIFEST_DIR` (set by `cargo test` and `cargo run`), then in
    /// those of this crate's source directory.
    pub fn locate() -> Result<Self, EmulatorError> {
        if let Some(dir) = std::env::var_os(TOOLS_DIR_ENV) {
            return Ok(Self::at(dir));
        }
        let starts: Vec<PathBuf> = [
            std::env::current_dir().ok(),
            std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
            Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
        ]
        .into_iter()
        .flatten()
        .collect();
        starts
            .iter()
            .flat_map(|start| start.ancestors())
            .map(|dir| dir.join(".tools"))
            .find(|candidate| candidate.is_dir())
            .map(Self::at)
            .ok_or_else(|| EmulatorError::ToolsNotFound {
                searched: starts
                    .iter()
                    .map(|start| start.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The installed `kinesis-local` package directory (holds `main.js`).
    pub fn kinesis_local_package(&self) -> Result<PathBuf, EmulatorError> {
        let package = self.root.join("npm/node_modules/kinesis-local");
        require("kinesis-local", &package.join("main.js"))?;
        Ok(package)
    }

    /// The Python interpreter of the venv that has `moto[server]`.
    pub fn moto_python(&self) -> Result<PathBuf, EmulatorError> {
        let venv = self.root.join("venv");
        // The install script writes the stamp only after pip succeeded.
        require("moto", &venv.join(".moto.version"))?;
        let python = venv.join("bin/python");
        require("moto", &python)?;
        Ok(python)
    }
}

fn require(tool: &'static str, path: &Path) -> Result<(), EmulatorError> {
    if path.exists() {
        Ok(())
    } else {
        Err(EmulatorError::ToolMissing {
            tool,
            path: path.to_path_buf(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An empty tools directory names the missing emulator and the install script.
    #[test]
    fn missing_emulator_points_at_the_install_script() {
        let tools = ToolsDir::at(std::env::temp_dir().join("streamdlq-no-such-tools-dir"));
        let error = tools.kinesis_local_package().unwrap_err();
        let message = error.to_string();
        assert!(message.contains("kinesis-local"), "{message}");
        assert!(message.contains("scripts/install-tools.sh"), "{message}");
        let error = tools.moto_python().unwrap_err();
        assert!(error.to_string().contains("moto"), "{error}");
    }
}
