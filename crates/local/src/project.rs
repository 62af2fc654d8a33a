//! Where the project is: the directory whose `infra/template.yaml` the local
//! stack reads and under which it keeps its state.

use std::path::{Path, PathBuf};

/// The template's path relative to the project root.
pub const TEMPLATE_PATH: &str = "infra/template.yaml";

/// The first ancestor of the current directory that is a git work tree
/// (holds `.git`, a directory or, in a linked work tree, a file); the
/// current directory itself when there is none.
pub fn project_root() -> PathBuf {
    let current = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    root_from(&current)
}

fn root_from(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(start)
        .to_path_buf()
}

/// `infra/template.yaml` under the project root.
pub fn default_template() -> PathBuf {
    project_root().join(TEMPLATE_PATH)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The work tree root is found from any directory inside it.
    #[test]
    fn finds_the_work_tree_root_from_a_subdirectory() {
        let root = root_from(Path::new(env!("CARGO_MANIFEST_DIR")));
        assert!(root.join(TEMPLATE_PATH).is_file(), "{}", root.display());
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).starts_with(&root));
    }
}
