//! A real file system of a chosen size for the tests: a tmpfs, mounted as
//! root (the journald harness needs root too), unmounted when dropped.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted for the life of the value.
pub struct Tmpfs {
    pub dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs with mount `options` (such as `size=256k` or
    /// `size=64k,ro`) on `dir`, creating it.
    pub fn mount(dir: &Path, options: &str) -> Tmpfs {
        fs::create_dir_all(dir).expect("create the mount point");
        let output = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("{options},mode=0755"),
                "tmpfs",
            ])
            .arg(dir)
            .output()
            .expect("run mount");
        assert!(
            output.status.success(),
            "cannot mount a tmpfs on {} (these tests need root, as the journald tests \
             do): {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        Tmpfs {
            dir: dir.to_path_buf(),
        }
    }

    /// Writes a filler file until the file system is full, then frees
    /// `room` bytes of it; returns its path.
    pub fn fill(&self, room: u64) -> PathBuf {
        let path = self.dir.join("filler");
        let mut file = File::create(&path).expect("create the filler");
        let chunk = [0u8; 4096];
        loop {
            match file.write(&chunk) {
                Ok(0) => panic!("write returned 0 before the disk was full"),
                Ok(_) => {}
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(28), "the disk is full: {e}");
                    let len = file.metadata().expect("filler metadata").len();
                    file.set_len(len - room).expect("free room on the disk");
                    return path;
                }
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}
