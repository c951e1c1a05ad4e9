//! The one check every secret's file passes before it is read: a regular
//! file that neither group nor others may access (mode 0600 or 0400).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Refuses `path` unless it is a regular file of mode 0600 or 0400; `holds`
/// says what it holds in the message ("secrets", "a private key").
pub fn check_private(path: &Path, holds: &str) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "mode {mode:04o} lets group or others access it; it holds {holds}, so it must be \
             0600 or 0400 (chmod 600 {})",
            path.display()
        ));
    }
    Ok(())
}
