//! Size rotation and compression of rotated files, against real files with
//! the injectable clock: file sizes and names, what `LOG_ROTATE_MAX` counts,
//! the `.gz` files and their temporary files after a crash.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::num::{NonZeroU32, NonZeroU64};
use std::path::Path;
use std::sync::Arc;

use logward::sink::{Entry, FileSink, Rotation, Sink, parse_origin_comment, rotated_files};
use logward::{Compression, Date, Level, LogType, ManualClock};

const SECOND: i64 = 1_000_000;

fn at(date: &str, seconds: i64) -> i64 {
    Date::parse(date).unwrap().start_unix_micros() + seconds * SECOND
}

fn rotation(size: u64, max: u32, compress: bool) -> Rotation {
    Rotation {
        daily: false,
        max_files: NonZeroU32::new(max),
        max_size: NonZeroU64::new(size),
        compress: compress.then_some(Compression::Gzip),
    }
}

fn open(path: &Path, rotation: Rotation, clock: &ManualClock) -> FileSink {
    FileSink::open(path, rotation, false, Arc::new(clock.clone())).unwrap()
}

/// A record line of exactly `len` bytes (newline included) numbered `n`.
fn record(n: usize, len: usize) -> String {
    let head = format!("{{\"n\":{n},\"pad\":\"");
    let pad = len - head.len() - 3;
    format!("{head}{}\"}}\n", "x".repeat(pad))
}

fn append(sink: &mut FileSink, line: &str) {
    sink.append(&Entry {
        line: line.as_bytes(),
        level: Level::Info,
        log_type: LogType::Audit,
    })
    .unwrap();
}

/// The text of a sink file, decompressed when it is a `.gz`.
fn text(path: &Path) -> String {
    let mut out = String::new();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::MultiGzDecoder::new(fs::File::open(path).unwrap())
            .read_to_string(&mut out)
            .unwrap();
    } else {
        out = fs::read_to_string(path).unwrap();
    }
    out
}

/// The record numbers in the sink's files, in listing order.
fn numbers(live: &Path) -> Vec<usize> {
    let mut all = Vec::new();
    for file in rotated_files(live).unwrap() {
        for line in text(&file.path).lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            all.push(value["n"].as_u64().unwrap() as usize);
        }
    }
    all
}

fn names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

#[test]
fn size_rotation_keeps_every_file_within_the_size_at_record_boundaries() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let clock = ManualClock::new(at("2026-05-02", 60));
    let mut sink = open(&path, rotation(1000, 0, false), &clock);
    // 35 records of 100 bytes: ten to a file. Flushes fall anywhere.
    for n in 0..35 {
        append(&mut sink, &record(n, 100));
        if n % 7 == 6 {
            sink.flush().unwrap();
        }
    }
    sink.flush().unwrap();
    assert_eq!(numbers(&path), (0..35).collect::<Vec<_>>());
    let files = rotated_files(&path).unwrap();
    let listed: Vec<String> = files
        .iter()
        .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        listed,
        [
            "app.log.2026-05-02",
            "app.log.2026-05-02.1",
            "app.log.2026-05-02.2",
            "app.log"
        ]
    );
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| fs::metadata(&f.path).unwrap().len())
        .collect();
    assert_eq!(sizes, [1000, 1000, 1000, 500]);
}

#[test]
fn a_record_larger_than_the_size_goes_whole_into_a_fresh_file_of_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let clock = ManualClock::new(at("2026-05-02", 60));
    let mut sink = open(&path, rotation(1000, 0, false), &clock);
    append(&mut sink, &record(0, 300));
    append(&mut sink, &record(1, 2500));
    append(&mut sink, &record(2, 300));
    sink.flush().unwrap();
    let sizes: Vec<u64> = rotated_files(&path)
        .unwrap()
        .iter()
        .map(|f| fs::metadata(&f.path).unwrap().len())
        .collect();
    assert_eq!(sizes, [300, 2500, 300]);
    assert_eq!(numbers(&path), [0, 1, 2]);
}

#[test]
fn size_and_daily_rotation_name_files_by_day_then_sequence() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let clock = ManualClock::new(at("2026-05-02", 60));
    let both = Rotation {
        daily: true,
        ..rotation(1000, 0, false)
    };
    let mut sink = open(&path, both, &clock);
    for n in 0..25 {
        append(&mut sink, &record(n, 100));
    }
    sink.flush().unwrap();
    clock.set_micros(at("2026-05-03", 60));
    for n in 25..40 {
        append(&mut sink, &record(n, 100));
    }
    sink.flush().unwrap();
    drop(sink);
    assert_eq!(
        names(tmp.path()),
        [
            "app.log",
            "app.log.2026-05-02",
            "app.log.2026-05-02.1",
            "app.log.2026-05-02.2",
            "app.log.2026-05-03",
        ]
        .map(String::from)
        .into()
    );
    assert_eq!(numbers(&path), (0..40).collect::<Vec<_>>());
    // The file of 2026-05-02 with records 20..25 was rotated at midnight.
    assert_eq!(
        text(&tmp.path().join("app.log.2026-05-02.2"))
            .lines()
            .count(),
        5
    );
}

#[test]
fn rotated_files_are_compressed_on_the_sinks_thread_into_gz_with_their_origin() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let clock = ManualClock::new(at("2026-05-02", 60));
    let mut sink = open(&path, rotation(1000, 0, true), &clock);
    let mut originals = Vec::new();
    for n in 0..30 {
        append(&mut sink, &record(n, 100));
        if n % 10 == 9 {
            sink.flush().unwrap();
            // Each file's identity before it is rotated and compressed.
            let meta = fs::metadata(&path).unwrap();
            originals.push(std::os::unix::fs::MetadataExt::ino(&meta));
        }
    }
    append(&mut sink, &record(30, 100));
    sink.flush().unwrap();
    // Dropping the sink waits for the compression thread.
    drop(sink);
    assert_eq!(
        names(tmp.path()),
        [
            "app.log",
            "app.log.2026-05-02.1.gz",
            "app.log.2026-05-02.2.gz",
            "app.log.2026-05-02.gz",
        ]
        .map(String::from)
        .into()
    );
    assert_eq!(numbers(&path), (0..31).collect::<Vec<_>>());
    let listed = rotated_files(&path).unwrap();
    assert!(listed[..3].iter().all(|f| f.compressed && !f.live));
    for (file, ino) in listed[..3].iter().zip(&originals) {
        let mut decoder = flate2::read::GzDecoder::new(fs::File::open(&file.path).unwrap());
        let mut first = [0u8; 1];
        decoder.read_exact(&mut first).unwrap();
        let header = decoder.header().unwrap();
        let origin = parse_origin_comment(header.comment().unwrap()).unwrap();
        assert_eq!(origin.1, *ino, "{}", file.path.display());
        let name = file.path.file_name().unwrap().to_str().unwrap();
        assert_eq!(
            header.filename(),
            Some(name.trim_end_matches(".gz").as_bytes())
        );
        let mode = fs::metadata(&file.path).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o640
        );
    }
}

/// Names beside the sink's that are not of its pattern.
const OTHERS: [&str; 4] = [
    "app.log.2026-01-01.bz2",
    "app.log.old.gz",
    "app.log-2026-01-01.gz",
    "app.logs.2026-01-01.gz",
];

#[test]
fn rotate_max_counts_compressed_and_uncompressed_files_and_spares_other_names() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    for other in OTHERS {
        fs::write(tmp.path().join(other), "not ours\n").unwrap();
    }
    // An uncompressed rotated file from before compression was configured.
    fs::write(tmp.path().join("app.log.2026-04-30"), record(1000, 100)).unwrap();
    let clock = ManualClock::new(at("2026-05-02", 60));
    let mut sink = open(&path, rotation(1000, 3, true), &clock);
    for n in 0..60 {
        append(&mut sink, &record(n, 100));
        sink.flush().unwrap();
    }
    drop(sink);
    let mut want: BTreeSet<String> = [
        "app.log",
        "app.log.2026-05-02.3.gz",
        "app.log.2026-05-02.4.gz",
    ]
    .map(String::from)
    .into();
    want.extend(OTHERS.map(String::from));
    assert_eq!(names(tmp.path()), want);
    assert_eq!(rotated_files(&path).unwrap().len(), 3);
    for other in OTHERS {
        assert_eq!(
            fs::read_to_string(tmp.path().join(other)).unwrap(),
            "not ours\n"
        );
    }
    assert_eq!(numbers(&path), (30..60).collect::<Vec<_>>());
}

#[test]
fn a_compression_cut_short_is_ignored_and_finished_at_the_next_start() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("app.log");
    let rotated = tmp.path().join("app.log.2026-05-01");
    let finished = tmp.path().join("app.log.2026-05-01.1");
    let orphan = tmp.path().join("app.log.2026-04-20.gz.tmp");
    fs::write(&rotated, record(1, 100) + &record(2, 100)).unwrap();
    // A crash while compressing it: half a gzip stream under the temporary name.
    fs::write(
        tmp.path().join("app.log.2026-05-01.gz.tmp"),
        b"\x1f\x8b\x08\x00half",
    )
    .unwrap();
    // A crash after the rename, before the original was removed.
    fs::write(&finished, record(3, 100)).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, record(3, 100).as_bytes()).unwrap();
    fs::write(
        tmp.path().join("app.log.2026-05-01.1.gz"),
        gz.finish().unwrap(),
    )
    .unwrap();
    // The temporary file of a file that is gone.
    fs::write(&orphan, b"\x1f\x8b").unwrap();
    fs::write(&path, record(4, 100)).unwrap();

    // Before the start: the temporary files are not listed, the file
    // present in both forms is listed once, uncompressed.
    let listed: Vec<_> = rotated_files(&path)
        .unwrap()
        .into_iter()
        .map(|f| {
            (
                f.path.file_name().unwrap().to_string_lossy().into_owned(),
                f.compressed,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("app.log.2026-05-01".to_string(), false),
            ("app.log.2026-05-01.1".to_string(), false),
            ("app.log".to_string(), false)
        ]
    );
    assert_eq!(numbers(&path), [1, 2, 3, 4]);

    let clock = ManualClock::new(at("2026-05-02", 60));
    drop(open(&path, rotation(1 << 20, 0, true), &clock));
    assert_eq!(
        names(tmp.path()),
        [
            "app.log",
            "app.log.2026-05-01.1.gz",
            "app.log.2026-05-01.gz"
        ]
        .map(String::from)
        .into()
    );
    assert_eq!(numbers(&path), [1, 2, 3, 4]);
}
