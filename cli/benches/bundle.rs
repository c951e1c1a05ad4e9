//! Throughput and peak memory of `logward bundle`, against `wc -l`, `jq`,
//! `gzip` and `journalctl` on the same input, measured in the same run with
//! the rounds interleaved; prints a markdown table.
//!
//! ```text
//! bash .ci/start-journald        # the journal case needs a running journald
//! cargo build --release --bin logward      # the binary measured
//! cargo bench -p logward-cli --bench bundle                 # ROUNDS=3 by default
//! LOGWARD_BENCH_BEFORE=/path/to/an/older/logward cargo bench -p logward-cli --bench bundle
//! ```
//!
//! - Data: about 1.1 GB of records written through the runtime itself
//!   (typed records of every log type and level inside request spans, into
//!   two daily-rotating file sinks, `audit.log` and `app.log`, with a
//!   [`ManualClock`] moved across ten days), so the files are real rotated
//!   files of real records. Made once under `<target>/bench-bundle/` and
//!   reused while its marker matches; gzipped copies likewise.
//! - Cases: `narrow` is one day of audit records at warning or error;
//!   `all` is every record of the ten days, as JSON lines; `all .tar.gz`
//!   the same as a compressed bundle; `all, stdout` the same bundle on
//!   stdout redirected to a file, as the peers write theirs (`--out-file`
//!   syncs its file to disk before renaming it into place; the peers'
//!   files are not synced). `all` gives the date range of the
//!   data rather than no filter at all, because `bundle` also reads the
//!   journal whenever a journald runs, and the journal holds other records;
//!   with the range it contributes none. The range selects every record of
//!   the files: nothing is skipped by date.
//! - Peers: `wc -l` on the same files (reading at memory speed);
//!   `cat <the same files> > file` beside the stdout bundle (reading and
//!   writing every byte and nothing else: the bound for any tool that
//!   writes out what it reads);
//!   `cat <the same files> | jq -c 'select(…)'` and `zcat <gzipped copies>
//!   | jq -c 'select(…)'`, which concatenate the files without merging
//!   them in `created_at` order, which `bundle` does; for the compressed
//!   bundle, `cat <files> | gzip -1` (what compressing alone costs).
//!   `jq` over the 1.1 GB runs in one round only (the middle one): it takes
//!   the better part of a minute.
//! - Journal: records sent to the running journald through
//!   [`JournaldSink`], then `bundle` with everything routed to journald and
//!   the sending time as range, against `journalctl -o export` (what
//!   `bundle` reads, with the same fields, matches and window),
//!   `journalctl -o cat` (the messages alone) and
//!   `journalctl -o json <same matches> | jq -c '.MESSAGE | fromjson | select(…)'`.
//! - `LOGWARD_BENCH_BEFORE`: another `logward` binary measured beside the
//!   one built from this tree, in every round, as `logward (before)`.
//! - Every command runs as its own process under `/usr/bin/time`: wall
//!   time with [`Instant`], CPU time (user + system) and peak RSS of the
//!   largest process of a pipeline. The table gives medians over the
//!   rounds. Outputs go to files; their records are counted and the tools
//!   that select must agree (a mismatch is printed loudly).

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use logward::audit::{Activity, ApiRequest, LoginAttempt, SettingChange, UserActivity};
use logward::record::push_rfc3339;
use logward::sink::rotated_files;
use logward::{
    Clock, Date, Emit, JournaldSink, Level, LogType, Logward, ManualClock, SystemClock, analysis,
    application, tanium, web,
};
use tracing_subscriber::layer::SubscriberExt;

/// Records written to the files: about 1.1 GB at ~350 bytes each.
const FILE_RECORDS: u64 = 3_200_000;
/// Days the file records span, from [`FIRST_DAY`].
const DAYS: i64 = 10;
const FIRST_DAY: &str = "2025-03-01";
/// The day the narrow case selects.
const NARROW_DAY: &str = "2025-03-05";
/// Records sent to journald.
const JOURNAL_RECORDS: u64 = 200_000;
/// Bumped whenever the generated data changes, so a stale cache is remade.
const DATA_VERSION: u32 = 3;

const JQ: &str = "/usr/bin/jq";
const TIME: &str = "/usr/bin/time";

fn main() {
    let release = release_dir();
    let logward = logward_binary(&release);
    let work = release
        .parent()
        .expect("the release directory has a parent")
        .join("bench-bundle");
    let data = work.join("data");
    let out = work.join("out");
    fs::create_dir_all(&out).expect("create the output directory");
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let mut bundlers = vec![("logward bundle".to_string(), logward)];
    if let Some(before) = std::env::var_os("LOGWARD_BENCH_BEFORE") {
        bundlers.push(("logward (before)".to_string(), PathBuf::from(before)));
    }

    let started = Instant::now();
    let (written_by, data_bytes) = ensure_data(&data);
    eprintln!(
        "data: {} MB in {} ({written_by}), ready after {:.1}s",
        mb(data_bytes),
        data.display(),
        started.elapsed().as_secs_f64()
    );
    let gz = ensure_gzipped(&data, &work.join("gz"));

    let config = work.join("files.conf");
    fs::write(&config, files_config(&data)).expect("write the files configuration");
    let mut cmds = Vec::new();

    // Narrow: one day of audit warnings and errors.
    let narrow_files: Vec<PathBuf> = files_of(&data.join("audit.log"))
        .into_iter()
        .filter(|(date, _)| date.to_string() == NARROW_DAY)
        .map(|(_, path)| path)
        .collect();
    let narrow_filter = format!(
        r#"select(.log_type == "audit" and (.level == "warning" or .level == "error") and .created_at >= "{NARROW_DAY}T" and .created_at < "{}T")"#,
        next_day(NARROW_DAY)
    );
    let bundle_args = [
        "--date-from",
        NARROW_DAY,
        "--date-to",
        NARROW_DAY,
        "--log-type",
        "audit",
        "--log-level",
        "warning,error",
    ];
    let narrow = FileCase {
        case: "narrow",
        config: &config,
        bundle_args: &bundle_args,
        files: &narrow_files,
        gz: &gz,
        filter: &narrow_filter,
        out: &out,
    };
    cmds.extend(narrow.bundles(&bundlers, false));
    cmds.extend(narrow.jq_peers(false));

    // All: every record of the ten days.
    let mut all_files = files_of(&data.join("audit.log"));
    all_files.extend(files_of(&data.join("app.log")));
    let all_files: Vec<PathBuf> = all_files.into_iter().map(|(_, p)| p).collect();
    let last_day = Date::from_days_since_epoch(first_day().days_since_epoch() + DAYS - 1);
    let all_filter = format!(
        r#"select(.created_at >= "{FIRST_DAY}T" and .created_at < "{}T")"#,
        next_day(&last_day.to_string())
    );
    let last_day = last_day.to_string();
    let bundle_args = ["--date-from", FIRST_DAY, "--date-to", &last_day];
    let all = FileCase {
        case: "all",
        bundle_args: &bundle_args,
        files: &all_files,
        filter: &all_filter,
        ..narrow
    };
    cmds.extend(all.bundles(&bundlers, false));
    cmds.push(all.shell_peer("wc -l", r#"wc -l "$@" > "$OUT""#, Count::WcTotal));
    cmds.extend(all.jq_peers(true).into_iter().take(1));
    // The same bundle on stdout, redirected to a file as the peers write
    // theirs: `--out-file` makes its file durable (`fsync`) before renaming
    // it into place, which the peers do not.
    let all_stdout = FileCase {
        case: "all, stdout",
        ..all
    };
    cmds.extend(all_stdout.bundles_on_stdout(&bundlers));
    cmds.push(all_stdout.shell_peer("wc -l", r#"wc -l "$@" > "$OUT""#, Count::WcTotal));
    cmds.push(all_stdout.shell_peer("cat", r#"cat "$@" > "$OUT""#, Count::Unchecked));
    let all_gz = FileCase {
        case: "all .tar.gz",
        ..all
    };
    cmds.extend(all_gz.bundles(&bundlers, true));
    cmds.push(all_gz.shell_peer(
        r"cat \| gzip -1",
        r#"cat "$@" | gzip -1 > "$OUT""#,
        Count::Unchecked,
    ));

    cmds.extend(journal_cmds(&bundlers, &work, &out));

    let mut samples: Vec<Vec<Sample>> = cmds.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        eprintln!("round {}/{rounds}", round + 1);
        // Each round starts at another command, so none always runs first.
        let n = cmds.len();
        for k in 0..n {
            let i = (k + round * 3) % n;
            if cmds[i].once && round != rounds / 2 {
                continue;
            }
            samples[i].push(cmds[i].run());
        }
    }
    // The journal's input: the bytes of the records selected.
    let journal_bytes = cmds
        .iter()
        .find(|c| c.case == "journal" && c.logward)
        .and_then(|c| fs::metadata(&c.out).ok())
        .map(|m| m.len());
    for cmd in cmds.iter_mut().filter(|c| c.case == "journal") {
        cmd.input_bytes = journal_bytes.unwrap_or(0);
    }
    let rows: Vec<Row> = cmds
        .iter()
        .zip(samples)
        .map(|(cmd, samples)| Row::of(cmd, samples))
        .collect();
    print_table(&rows);
    println!();
    println!(
        "Data written {written_by}. {rounds} rounds, interleaved; medians. \
         Peak RSS: the largest process of a pipeline. CPU: user + system seconds. \
         Ratio: logward's MB/s over the row's (above 1: logward is faster). \
         Input MB: the uncompressed bytes of the files read (also for zcat); \
         for the journal, the bytes of the selected records."
    );
}

/// `<target>/release`, where this bench and `logward` are built.
fn release_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the bench knows its path");
    exe.parent()
        .and_then(Path::parent)
        .expect("the bench runs from <target>/release/deps")
        .to_path_buf()
}

/// The `logward` binary beside this bench. It is not built from here: a
/// `cargo build` inside `cargo bench` waits for the lock that `cargo bench`
/// holds on the target directory.
fn logward_binary(release: &Path) -> PathBuf {
    let logward = release.join("logward");
    assert!(
        logward.is_file(),
        "{} is missing: run `cargo build --release --bin logward` first",
        logward.display()
    );
    logward
}

fn first_day() -> Date {
    Date::parse(FIRST_DAY).expect("FIRST_DAY is a date")
}

fn next_day(day: &str) -> String {
    let date = Date::parse(day).expect("a date");
    Date::from_days_since_epoch(date.days_since_epoch() + 1).to_string()
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn files_config(data: &Path) -> String {
    format!(
        "LOG_LEVEL=debug\nLOG_LEVEL_AUDIT=debug\n\
         LOG_FILE={0}/app.log\nLOG_ROTATE_DAILY=true\n\
         LOG_FILE_AUDIT={0}/audit.log\nLOG_ROTATE_DAILY_AUDIT=true\n",
        data.display()
    )
}

/// The files of the sink writing `live`, oldest first, with their dates.
fn files_of(live: &Path) -> Vec<(Date, PathBuf)> {
    rotated_files(live)
        .expect("list the sink's files")
        .into_iter()
        .map(|f| (f.date, f.path))
        .collect()
}

fn total_size(files: &[PathBuf]) -> u64 {
    files
        .iter()
        .map(|f| fs::metadata(f).expect("stat a data file").len())
        .sum()
}

/// Makes the data set unless a complete one is there; returns how it was
/// written and its size.
fn ensure_data(data: &Path) -> (&'static str, u64) {
    let how = "through the runtime (typed records, file sinks, a manual clock)";
    let marker = data.join("complete");
    // The rotated files only: every bundle run appends its `logs_exported`
    // record (dated today, outside every range here) to the live audit.log.
    let all = |data: &Path| -> Vec<PathBuf> {
        ["audit.log", "app.log"]
            .into_iter()
            .flat_map(|name| rotated_files(&data.join(name)).unwrap_or_default())
            .filter(|f| !f.live && f.path.exists())
            .map(|f| f.path)
            .collect()
    };
    if let Ok(text) = fs::read_to_string(&marker) {
        let size = total_size(&all(data));
        if text.trim() == format!("{DATA_VERSION} {FILE_RECORDS} {size}") {
            return (how, size);
        }
    }
    let _ = fs::remove_dir_all(data);
    fs::create_dir_all(data).expect("create the data directory");
    let config = data.join("generate.conf");
    fs::write(&config, files_config(data)).expect("write the generating configuration");
    let start = first_day().start_unix_micros();
    let clock = ManualClock::new(start);
    let runtime = Logward::builder()
        .with_config_path(&config)
        .with_clock(clock.clone())
        .with_level(Level::Debug)
        .with_lifecycle_records(false)
        .with_panic_hook(false)
        .build()
        .expect("logward builds for the data set");
    let (layer, guard) = runtime.into_parts();
    let step = DAYS * 86_400_000_000 / FILE_RECORDS as i64;
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let mut day = Date::from_unix_micros(start);
        let mut i = 0;
        while i < FILE_RECORDS {
            let request_id = logward::record::new_uuid().to_string();
            let user = USERS[rng.below(USERS.len())];
            let span = tracing::info_span!(
                "request",
                request_id = request_id.as_str(),
                user_id = user.0,
                user_name = user.1
            );
            let _entered = span.enter();
            for _ in 0..5.min(FILE_RECORDS - i) {
                let next = start + i as i64 * step;
                if Date::from_unix_micros(next) != day {
                    // The sinks rotate by the clock when they write: let
                    // them write the old day's records before it moves on.
                    guard.flush();
                    day = Date::from_unix_micros(next);
                }
                clock.set_micros(next);
                one_record(&mut rng, i);
                i += 1;
            }
        }
    });
    drop(guard);
    let _ = fs::remove_file(&config);
    let size = total_size(&all(data));
    fs::write(&marker, format!("{DATA_VERSION} {FILE_RECORDS} {size}\n"))
        .expect("write the data marker");
    (how, size)
}

const USERS: [(&str, &str); 6] = [
    ("u-1001", "alice"),
    ("u-1002", "bob"),
    ("u-1003", "carol"),
    ("u-1004", "dave"),
    ("u-1005", "erin"),
    ("u-1006", "frank"),
];
const IPS: [&str; 4] = ["10.0.0.7", "10.0.3.21", "192.168.1.40", "172.16.8.9"];

/// A small deterministic generator (xorshift64*), so the data set is the
/// same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// debug 10%, info 60%, warning 15%, error 12%, critical 3%.
    fn level(&mut self) -> Level {
        match self.below(100) {
            0..10 => Level::Debug,
            10..70 => Level::Info,
            70..85 => Level::Warning,
            85..97 => Level::Error,
            _ => Level::Critical,
        }
    }
}

/// One record of a mixed type: audit 30%, web 35%, application 20%,
/// analysis 10%, tanium 5%.
fn one_record(rng: &mut Rng, i: u64) {
    let level = rng.level();
    let ip = IPS[rng.below(IPS.len())];
    let granted = rng.below(10) != 0;
    let element_id = format!("el-{:08}", i % 99_991);
    match rng.below(100) {
        0..8 => LoginAttempt::new(granted, ip)
            .forwarded_for("203.0.113.9")
            .message("login attempt with password")
            .log(level),
        8..20 => {
            let activity = [Activity::Access, Activity::Create, Activity::Update][rng.below(3)];
            let mut record = UserActivity::new(activity, granted, "report", ip)
                .element_id(&element_id)
                .forwarded_for("203.0.113.9");
            if !granted {
                record = record.denied_because("missing role report_editor");
            }
            record.log(level)
        }
        20..25 => SettingChange::new(granted, "retention_days", "30", "90", ip)
            .element_id(&element_id)
            .log(level),
        25..30 => ApiRequest::new(granted, ip)
            .message("GET /api/v2/reports?page=3")
            .log(level),
        30..65 => {
            let path = format!("/api/v2/items/{}/history?limit=50", i % 7919);
            let status = [200, 200, 200, 201, 304, 404, 500][rng.below(7)];
            web::Request::new("GET", &path, status).log(level)
        }
        65..85 => application::Message::new(
            "cache refresh finished for tenant acme-industries, 1284 entries reloaded from the primary store",
        )
        .log(level),
        85..95 => analysis::Analysis::new(
            512 + (i % 2048),
            "risk_scoring",
            "scored the nightly batch of endpoints against the current rule set",
        )
        .log(level),
        _ => tanium::Operation::new("collected installed-software inventory from endpoint group")
            .computer_group("linux-servers-eu")
            .endpoint_id(&element_id)
            .log(level),
    }
}

/// Gzipped copies of every data file (`gzip -6`, two at a time), made once.
fn ensure_gzipped(data: &Path, gz: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut pairs = Vec::new();
    for name in ["audit.log", "app.log"] {
        for (_, path) in files_of(&data.join(name)) {
            let file_name = path.file_name().expect("a data file has a name");
            let mut gz_name = file_name.to_os_string();
            gz_name.push(".gz");
            pairs.push((path.clone(), gz.join(gz_name)));
        }
    }
    let marker = gz.join("complete");
    let stamp = fs::read_to_string(data.join("complete")).expect("the data marker");
    if fs::read_to_string(&marker).ok().as_deref() == Some(stamp.as_str()) {
        return pairs;
    }
    let _ = fs::remove_dir_all(gz);
    fs::create_dir_all(gz).expect("create the gzip directory");
    let started = Instant::now();
    for chunk in pairs.chunks(2) {
        let children: Vec<_> = chunk
            .iter()
            .map(|(plain, zipped)| {
                Command::new("gzip")
                    .args(["-6", "-c"])
                    .arg(plain)
                    .stdout(File::create(zipped).expect("create a gzip copy"))
                    .spawn()
                    .expect("run gzip")
            })
            .collect();
        for mut child in children {
            assert!(
                child.wait().expect("wait for gzip").success(),
                "gzip failed"
            );
        }
    }
    fs::write(&marker, stamp).expect("write the gzip marker");
    eprintln!(
        "gzipped copies made in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    pairs
}

/// How a command's output is counted in records.
#[derive(Clone, Copy)]
enum Count {
    /// JSON lines: one record a line.
    Lines,
    /// A compressed bundle: the manifest's `records`.
    Archive,
    /// `wc -l` of several files: its `total` line (lines, not records: not
    /// compared).
    WcTotal,
    /// Lines holding the run's id (journal output of other records too).
    Containing(&'static str),
    /// Not a selection: nothing to compare.
    Unchecked,
}

/// One command of the bench.
struct Cmd {
    case: &'static str,
    tool: String,
    program: String,
    args: Vec<String>,
    envs: Vec<(&'static str, String)>,
    out: PathBuf,
    count: Count,
    input_bytes: u64,
    /// Slow: runs in the middle round only.
    once: bool,
    /// A `logward bundle` row (the ratios are against the first of a case).
    logward: bool,
}

/// One run of a command.
struct Sample {
    seconds: f64,
    cpu: f64,
    peak_kib: u64,
    records: u64,
}

impl Cmd {
    /// Runs the command under `/usr/bin/time`.
    fn run(&self) -> Sample {
        let _ = fs::remove_file(&self.out);
        let probe = std::env::temp_dir().join(format!("logward-bench-time-{}", std::process::id()));
        let started = Instant::now();
        let output = Command::new(TIME)
            .args(["-f", "%U %S %M", "-o"])
            .arg(&probe)
            .arg(&self.program)
            .args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (*k, v)))
            .output()
            .expect("run a measured command");
        let seconds = started.elapsed().as_secs_f64();
        assert!(
            output.status.success(),
            "{} {:?} failed: {}",
            self.program,
            self.args,
            String::from_utf8_lossy(&output.stderr)
        );
        let text = fs::read_to_string(&probe).expect("read /usr/bin/time's output");
        let _ = fs::remove_file(&probe);
        let fields: Vec<f64> = text
            .lines()
            .next_back()
            .expect("/usr/bin/time printed its line")
            .split_whitespace()
            .map(|f| f.parse().expect("/usr/bin/time prints numbers"))
            .collect();
        Sample {
            seconds,
            cpu: fields[0] + fields[1],
            peak_kib: fields[2] as u64,
            records: self.records(),
        }
    }

    fn records(&self) -> u64 {
        match self.count {
            Count::Lines => count_lines(&self.out),
            Count::Archive => archive_records(&self.out),
            Count::WcTotal => fs::read_to_string(&self.out)
                .expect("read wc's output")
                .lines()
                .filter_map(|l| l.split_whitespace().next()?.parse::<u64>().ok())
                .next_back()
                .expect("wc printed a total"),
            Count::Containing(needle) => count_containing(&self.out, needle),
            Count::Unchecked => 0,
        }
    }
}

/// The `records` of a compressed bundle's manifest.
fn archive_records(path: &Path) -> u64 {
    let file = File::open(path).expect("open the compressed bundle");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in archive.entries().expect("read the bundle") {
        let mut entry = entry.expect("a bundle member");
        if entry.path().expect("a member name").as_os_str() == "manifest.json" {
            let mut text = String::new();
            entry.read_to_string(&mut text).expect("read the manifest");
            let manifest: serde_json::Value = serde_json::from_str(&text).expect("a JSON manifest");
            return manifest["records"]
                .as_u64()
                .expect("the manifest counts records");
        }
    }
    panic!("{} has no manifest", path.display())
}

/// A case over files.
#[derive(Clone, Copy)]
struct FileCase<'a> {
    case: &'static str,
    config: &'a Path,
    bundle_args: &'a [&'a str],
    files: &'a [PathBuf],
    gz: &'a [(PathBuf, PathBuf)],
    filter: &'a str,
    out: &'a Path,
}

impl FileCase<'_> {
    fn name(&self, tool: &str) -> String {
        let tool: String = tool
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let case: String = self
            .case
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        format!("{case}-{tool}")
    }

    /// The arguments of `logward bundle` for this case, without the output.
    fn bundle_command(&self) -> Vec<String> {
        let mut args: Vec<String> = vec!["bundle".into(), "--config".into()];
        args.push(self.config.display().to_string());
        args.extend(self.bundle_args.iter().map(|a| a.to_string()));
        args
    }

    /// `logward bundle` of each binary.
    fn bundles(&self, bundlers: &[(String, PathBuf)], compress: bool) -> Vec<Cmd> {
        bundlers
            .iter()
            .map(|(tool, binary)| {
                let out = self.out.join(format!(
                    "{}.{}",
                    self.name(tool),
                    if compress { "tar.gz" } else { "jsonl" }
                ));
                let mut args = self.bundle_command();
                args.extend(["--force".into(), "--out-file".into()]);
                args.push(out.display().to_string());
                if compress {
                    args.push("--compress".into());
                }
                Cmd {
                    case: self.case,
                    tool: tool.clone(),
                    program: binary.display().to_string(),
                    args,
                    envs: Vec::new(),
                    out,
                    count: if compress {
                        Count::Archive
                    } else {
                        Count::Lines
                    },
                    input_bytes: total_size(self.files),
                    once: false,
                    logward: true,
                }
            })
            .collect()
    }

    /// `logward bundle` of each binary on stdout, redirected to a file.
    fn bundles_on_stdout(&self, bundlers: &[(String, PathBuf)]) -> Vec<Cmd> {
        bundlers
            .iter()
            .map(|(tool, binary)| {
                let mut command = vec![binary.clone()];
                command.extend(self.bundle_command().into_iter().map(PathBuf::from));
                Cmd {
                    logward: true,
                    ..self.shell(tool, r#"exec "$@" > "$OUT""#, &command, Count::Lines)
                }
            })
            .collect()
    }

    /// `sh -c SCRIPT sh <files>` with `$OUT` (and `$FILTER`).
    fn shell(&self, tool: &str, script: &str, inputs: &[PathBuf], count: Count) -> Cmd {
        let out = self.out.join(self.name(tool));
        let mut args: Vec<String> = vec!["-c".into(), script.into(), "sh".into()];
        args.extend(inputs.iter().map(|p| p.display().to_string()));
        Cmd {
            case: self.case,
            tool: tool.into(),
            program: "sh".into(),
            args,
            envs: vec![
                ("FILTER", self.filter.to_string()),
                ("OUT", out.display().to_string()),
            ],
            out,
            count,
            input_bytes: total_size(self.files),
            once: false,
            logward: false,
        }
    }

    fn shell_peer(&self, tool: &str, script: &str, count: Count) -> Cmd {
        self.shell(tool, script, self.files, count)
    }

    /// `cat | jq` and `zcat | jq` doing the same selection.
    fn jq_peers(&self, once: bool) -> Vec<Cmd> {
        let gz_files: Vec<PathBuf> = self
            .files
            .iter()
            .map(|f| {
                self.gz
                    .iter()
                    .find(|(plain, _)| plain == f)
                    .map(|(_, zipped)| zipped.clone())
                    .expect("every data file has a gzipped copy")
            })
            .collect();
        [
            (r"cat \| jq", "cat", self.files),
            (r"zcat \| jq", "zcat", gz_files.as_slice()),
        ]
        .into_iter()
        .map(|(tool, reader, inputs)| {
            let script = format!(r#"{reader} "$@" | {JQ} -c "$FILTER" > "$OUT""#);
            Cmd {
                once,
                ..self.shell(tool, &script, inputs, Count::Lines)
            }
        })
        .collect()
    }
}

fn count_lines(path: &Path) -> u64 {
    let reader = BufReader::with_capacity(1 << 20, File::open(path).expect("open an output"));
    reader.split(b'\n').count() as u64
}

/// `YYYY-MM-DD HH:MM:SS` and the RFC 3339 prefix `YYYY-MM-DDTHH:MM:SS` of a second.
fn second_forms(micros: i64) -> (String, String) {
    let mut text = Vec::new();
    push_rfc3339(&mut text, micros);
    let rfc = String::from_utf8(text).expect("RFC 3339 text is ASCII")[..19].to_string();
    (rfc.replacen('T', " ", 1), rfc)
}

/// Sends records to journald; the commands reading them back: `logward
/// bundle` of each binary, `journalctl -o export` and `-o cat` with
/// bundle's matches, `journalctl -o json | jq`.
fn journal_cmds(bundlers: &[(String, PathBuf)], work: &Path, out: &Path) -> Vec<Cmd> {
    let sync = Command::new("journalctl").arg("--sync").status();
    if !sync.is_ok_and(|s| s.success()) {
        eprintln!(
            "!!! no journald answers `journalctl --sync`: run `bash .ci/start-journald`; journal case left out"
        );
        return Vec::new();
    }
    let run_id = logward::record::new_uuid().to_string();
    let from = SystemClock.now_micros();
    let sending = Instant::now();
    let runtime = Logward::builder()
        .with_sink(JournaldSink::connect("logward-bench").expect("a journald socket"))
        .with_level(Level::Debug)
        .with_lifecycle_records(false)
        .with_panic_hook(false)
        .build()
        .expect("logward builds for journald");
    let (layer, guard) = runtime.into_parts();
    let mut rng = Rng(0x5eed_0000_0000_0002);
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("bench", bench_run = run_id.as_str());
        let _entered = span.enter();
        for i in 0..JOURNAL_RECORDS {
            one_record(&mut rng, i);
        }
    });
    drop(guard);
    let status = Command::new("journalctl").arg("--sync").status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "journalctl --sync failed"
    );
    let to = SystemClock.now_micros();
    eprintln!(
        "journal: {JOURNAL_RECORDS} records sent in {:.1}s",
        sending.elapsed().as_secs_f64()
    );
    let run_id: &'static str = Box::leak(run_id.into_boxed_str());

    let (from_arg, from_rfc) = second_forms(from);
    let (to_arg, _) = second_forms(to);
    let (_, after_rfc) = second_forms(to + 1_000_000);
    let config = work.join("journal.conf");
    fs::write(&config, "LOG_LEVEL=debug\nLOG_LEVEL_AUDIT=debug\n")
        .expect("write the journal configuration");
    // Set to the bytes of the selected records once the rounds ran.
    let input_bytes = 0;
    let mut cmds: Vec<Cmd> = bundlers
        .iter()
        .map(|(tool, binary)| {
            let bundle_out = out.join(format!("journal-{}.jsonl", tool.replace(' ', "-")));
            let mut args: Vec<String> = vec!["bundle".into(), "--config".into()];
            args.push(config.display().to_string());
            args.extend([
                "--date-from".into(),
                from_arg.clone(),
                "--date-to".into(),
                to_arg.clone(),
            ]);
            args.extend(["--force".into(), "--out-file".into()]);
            args.push(bundle_out.display().to_string());
            Cmd {
                case: "journal",
                tool: tool.clone(),
                program: binary.display().to_string(),
                args,
                envs: Vec::new(),
                out: bundle_out,
                count: Count::Containing(run_id),
                input_bytes,
                once: false,
                logward: true,
            }
        })
        .collect();

    // The same window as bundle's journalctl: widened by 10 minutes.
    let slack = 600;
    let since = (from.div_euclid(1_000_000) - slack).to_string();
    let until = ((to + 1_000_000 + 999_999).div_euclid(1_000_000) + slack).to_string();
    let matches = LogType::ALL
        .iter()
        .map(|t| format!("LOG_TYPE={t}"))
        .collect::<Vec<_>>()
        .join(" ");
    let window = format!("--no-pager --quiet --since=@{since} --until=@{until} {matches}");
    let filter = format!(
        r#".MESSAGE | fromjson | select(.created_at >= "{from_rfc}" and .created_at < "{after_rfc}")"#
    );
    let peers = [
        (
            "journalctl -o export",
            format!(
                r#"journalctl -o export --output-fields=MESSAGE,_UID,_PID,_COMM,_SYSTEMD_UNIT {window} > "$OUT""#
            ),
            Count::Unchecked,
            false,
        ),
        (
            "journalctl -o cat",
            format!(r#"journalctl -o cat {window} > "$OUT""#),
            Count::Containing(run_id),
            false,
        ),
        (
            r"journalctl -o json \| jq",
            format!(r#"journalctl -o json --all {window} | {JQ} -c "$FILTER" > "$OUT""#),
            Count::Containing(run_id),
            true,
        ),
    ];
    for (tool, script, count, once) in peers {
        let peer_out = out.join(format!(
            "journal-{}",
            tool.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect::<String>()
        ));
        cmds.push(Cmd {
            case: "journal",
            tool: tool.into(),
            program: "sh".into(),
            args: vec!["-c".into(), script],
            envs: vec![
                ("FILTER", filter.clone()),
                ("OUT", peer_out.display().to_string()),
            ],
            out: peer_out,
            count,
            input_bytes,
            once,
            logward: false,
        });
    }
    cmds
}

fn count_containing(path: &Path, needle: &str) -> u64 {
    let reader = BufReader::new(File::open(path).expect("open an output"));
    reader
        .split(b'\n')
        .map_while(Result::ok)
        .filter(|l| l.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .count() as u64
}

/// A command's medians over its rounds.
struct Row {
    case: &'static str,
    tool: String,
    input_bytes: u64,
    records: Vec<u64>,
    seconds: f64,
    cpu: f64,
    peak_kib: u64,
    count: Count,
    logward: bool,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

impl Row {
    fn of(cmd: &Cmd, samples: Vec<Sample>) -> Row {
        Row {
            case: cmd.case,
            tool: cmd.tool.clone(),
            input_bytes: cmd.input_bytes,
            records: samples.iter().map(|s| s.records).collect(),
            seconds: median(samples.iter().map(|s| s.seconds).collect()),
            cpu: median(samples.iter().map(|s| s.cpu).collect()),
            peak_kib: samples.iter().map(|s| s.peak_kib).max().unwrap_or(0),
            count: cmd.count,
            logward: cmd.logward,
        }
    }

    fn mbps(&self) -> f64 {
        mb(self.input_bytes) / self.seconds
    }
}

fn print_table(rows: &[Row]) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "| case | tool | input MB | records out | seconds | MB/s | CPU s | peak RSS MB | logward/row |"
    );
    let _ = writeln!(stdout, "|---|---|--:|--:|--:|--:|--:|--:|--:|");
    for row in rows {
        let first = rows
            .iter()
            .find(|r| r.case == row.case && r.logward)
            .expect("every case has a logward row");
        let ratio = if std::ptr::eq(first, row) {
            "—".to_string()
        } else {
            format!("{:.2}×", first.mbps() / row.mbps())
        };
        let records = match row.count {
            Count::Unchecked => "—".to_string(),
            _ => row.records.last().copied().unwrap_or(0).to_string(),
        };
        let _ = writeln!(
            stdout,
            "| {} | {} | {:.0} | {} | {:.2} | {:.0} | {:.2} | {:.1} | {} |",
            row.case,
            row.tool,
            mb(row.input_bytes),
            records,
            row.seconds,
            row.mbps(),
            row.cpu,
            row.peak_kib as f64 / 1024.0,
            ratio
        );
    }
    let mut cases: Vec<&str> = rows.iter().map(|r| r.case).collect();
    cases.dedup();
    for case in cases {
        let counts: Vec<u64> = rows
            .iter()
            .filter(|r| r.case == case && !matches!(r.count, Count::Unchecked | Count::WcTotal))
            .flat_map(|r| r.records.iter().copied())
            .collect();
        let expected = if case == "journal" {
            JOURNAL_RECORDS
        } else {
            counts.first().copied().unwrap_or(0)
        };
        if counts.iter().any(|&c| c != expected) {
            eprintln!("!!! MISMATCH in case {case}: record counts {counts:?}");
            let _ = writeln!(stdout, "\n**MISMATCH in case {case}: {counts:?}**");
        }
    }
}
