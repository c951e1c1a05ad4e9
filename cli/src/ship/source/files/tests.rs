//! Tests of the file source on real files: rotation, partial lines,
//! resuming, pruning while stopped and while running, inode reuse.

use std::io::Write;

use super::*;

fn append(path: &Path, lines: &[&str]) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append");
    for line in lines {
        writeln!(file, "{line}").expect("append");
    }
}

/// Reads every line available now, refreshing once first.
fn drain(source: &mut FileSource) -> (Vec<String>, Option<Mark>) {
    source.refresh().expect("refresh");
    let mut lines = Vec::new();
    let mut last = None;
    let mut line = Vec::new();
    while let Some(mark) = source.read_line(&mut line).expect("read") {
        lines.push(String::from_utf8(line.clone()).expect("utf-8"));
        last = Some(mark);
    }
    (lines, last)
}

fn rotate(path: &Path, date: &str) {
    std::fs::rename(path, path.with_file_name(format!("app.log.{date}"))).expect("rotate");
}

#[test]
fn follows_rotation_without_missing_or_repeating_a_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    append(&path, &["a1", "a2"]);
    let mut source = FileSource::open(&path, None, Start::Beginning).expect("open");
    assert_eq!(drain(&mut source).0, ["a1", "a2"]);
    // Written just before the rotation, after the last read: still read.
    append(&path, &["a3"]);
    rotate(&path, "2026-11-21");
    append(&path, &["b1"]);
    assert_eq!(drain(&mut source).0, ["a3", "b1"]);
    rotate(&path, "2026-11-22");
    append(&path, &["c1", "c2"]);
    rotate(&path, "2026-11-23");
    append(&path, &["d1"]);
    assert_eq!(drain(&mut source).0, ["c1", "c2", "d1"]);
    assert_eq!(drain(&mut source).0, Vec::<String>::new());
}

#[test]
fn a_line_being_written_is_read_once_it_is_complete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    append(&path, &["one"]);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    file.write_all(b"tw").expect("partial");
    let mut source = FileSource::open(&path, None, Start::Beginning).expect("open");
    assert_eq!(drain(&mut source).0, ["one"]);
    file.write_all(b"o\nthree\n").expect("rest");
    assert_eq!(drain(&mut source).0, ["two", "three"]);
}

#[test]
fn resumes_after_the_committed_line_across_a_rotation_while_stopped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    append(&path, &["a1", "a2", "a3"]);
    let mut source = FileSource::open(&path, None, Start::Beginning).expect("open");
    source.refresh().expect("refresh");
    let mut line = Vec::new();
    source.read_line(&mut line).expect("read");
    let mark = source.read_line(&mut line).expect("read").expect("a2");
    source.commit(mark);
    let state = source.state().expect("state");
    drop(source);
    append(&path, &["a4"]);
    rotate(&path, "2026-11-21");
    append(&path, &["b1"]);
    let mut source = FileSource::open(&path, Some(&state), Start::Beginning).expect("reopen");
    let (lines, last) = drain(&mut source);
    assert_eq!(lines, ["a3", "a4", "b1"]);
    let lag = source.lag().expect("lag");
    assert_eq!((lag.records, lag.bytes), (3, 9));
    assert_eq!(lag.oldest.as_deref(), Some(&b"a3"[..]));
    source.commit(last.expect("a mark"));
    let lag = source.lag().expect("lag");
    assert_eq!((lag.records, lag.bytes, lag.oldest), (0, 0, None));
    assert_eq!(source.take_lost(), None);
}

#[test]
fn a_file_pruned_while_stopped_is_reported_lost_and_the_rest_shipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    append(&path, &["a1", "a2", "a3"]);
    let mut source = FileSource::open(&path, None, Start::Beginning).expect("open");
    source.refresh().expect("refresh");
    let mut line = Vec::new();
    let mark = source.read_line(&mut line).expect("read").expect("a1");
    source.commit(mark);
    let state = source.state().expect("state");
    drop(source);
    rotate(&path, "2026-11-21");
    append(&path, &["b1"]);
    std::fs::remove_file(dir.path().join("app.log.2026-11-21")).expect("prune");
    let mut source = FileSource::open(&path, Some(&state), Start::Beginning).expect("reopen");
    assert_eq!(drain(&mut source).0, ["b1"]);
    assert_eq!(
        source.take_lost(),
        Some(Lost {
            files: 1,
            bytes: 6,
            records: 2
        })
    );
    assert_eq!(source.take_lost(), None, "reported once");
}

#[test]
fn a_file_pruned_while_running_is_still_read_to_its_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    append(&path, &["a1"]);
    let mut source = FileSource::open(&path, None, Start::Beginning).expect("open");
    source.refresh().expect("refresh");
    append(&path, &["a2"]);
    rotate(&path, "2026-11-21");
    append(&path, &["b1"]);
    source.refresh().expect("refresh");
    rotate(&path, "2026-11-22");
    append(&path, &["c1"]);
    for date in ["2026-11-21", "2026-11-22"] {
        std::fs::remove_file(dir.path().join(format!("app.log.{date}"))).expect("prune");
    }
    assert_eq!(drain(&mut source).0, ["a1", "a2", "b1", "c1"]);
    assert_eq!(source.take_lost(), None);
}

#[test]
fn start_now_skips_what_exists_and_a_new_inode_is_not_taken_for_a_shipped_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    append(&path, &["old1"]);
    rotate(&path, "2026-11-20");
    append(&path, &["old2"]);
    let mut source = FileSource::open(&path, None, Start::Now).expect("open");
    assert_eq!(drain(&mut source).0, Vec::<String>::new());
    append(&path, &["new1"]);
    rotate(&path, "2026-11-21");
    append(&path, &["new2"]);
    let (lines, last) = drain(&mut source);
    assert_eq!(lines, ["new1", "new2"]);
    source.commit(last.expect("mark"));
    let state = source.state().expect("state");
    drop(source);
    // Everything shipped is deleted; a fresh live file may reuse an inode.
    for name in ["app.log", "app.log.2026-11-20", "app.log.2026-11-21"] {
        std::fs::remove_file(dir.path().join(name)).expect("remove");
    }
    append(&path, &["fresh"]);
    let mut source = FileSource::open(&path, Some(&state), Start::Now).expect("reopen");
    assert_eq!(drain(&mut source).0, ["fresh"]);
}
