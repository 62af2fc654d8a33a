//! `streamdlq local env`: the shell environment of the running stack.

use clap::Args;

use super::StateDir;

/// Arguments of `streamdlq local env`.
#[derive(Debug, Args)]
pub struct EnvArgs {}

impl EnvArgs {
    pub fn run(self, dir: &StateDir) -> anyhow::Result<()> {
        print!("{}", dir.load()?.export_lines());
        Ok(())
    }
}
