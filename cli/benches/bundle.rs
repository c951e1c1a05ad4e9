//! Throughput and peak memory of `logward bundle`, against `jq` pipelines
//! doing the same selection, measured in the same run; prints a markdown
//! table.
//!
//! ```text
//! bash .ci/start-journald        # the journal case needs a running journald
//! cargo bench --bench bundle
//! ```
//!
//! - Data: about 1.1 GB of records written through the runtime itself
//!   (typed records of every log type and level inside request spans, into
//!   two daily-rotating file sinks, `audit.log` and `app.log`, with a
//!   [`ManualClock`] moved across ten days), so the files are real rotated
//!   files of real records. Made once under `<target>/bench-bundle/` and
//!   reused while its marker matches; gzipped copies likewise.
//! - Cases: `narrow` is one day of audit records at warning or error;
//!   `all` is every record of the ten days. `all` gives the date range of
//!   the data rather than no filter at all, because `bundle` also reads the
//!   journal whenever a journald runs, and the journal holds other records;
//!   with the range it contributes none.
//! - Peers: `cat <the same files> | jq -c 'select(…)'` and
//!   `zcat <gzipped copies> | jq -c 'select(…)'`. They concatenate the
//!   files without merging them in `created_at` order, which `bundle` does.
//! - Journal: records sent to the running journald through
//!   [`JournaldSink`], then `bundle` with everything routed to journald and
//!   the sending time as range, against
//!   `journalctl -o json <same matches> | jq -c '.MESSAGE | fromjson | select(…)'`.
//! - Every command runs as its own process under `/usr/bin/time -f %M`
//!   (peak RSS of the largest process of a pipeline, in KiB), timed end to
//!   end with [`Instant`]. Outputs go to files; their lines are counted and
//!   the tools must agree (a mismatch is printed loudly).

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
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
const DATA_VERSION: u32 = 2;

const JQ: &str = "/usr/bin/jq";
const TIME: &str = "/usr/bin/time";

fn main() {
    let release = release_dir();
    build_logward();
    let logward = release.join("logward");
    let work = release
        .parent()
        .expect("the release directory has a parent")
        .join("bench-bundle");
    let data = work.join("data");
    let out = work.join("out");
    fs::create_dir_all(&out).expect("create the output directory");

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
    let mut rows = Vec::new();

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
    rows.extend(file_case(
        "narrow",
        &logward,
        &config,
        &bundle_args,
        &narrow_files,
        &gz,
        &narrow_filter,
        &out,
    ));

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
    rows.extend(file_case(
        "all",
        &logward,
        &config,
        &bundle_args,
        &all_files,
        &gz,
        &all_filter,
        &out,
    ));

    rows.extend(journal_case(&logward, &work, &out));

    print_table(&rows);
    println!();
    println!(
        "Data written {written_by}. Peak RSS: `/usr/bin/time -f %M`, the largest process of a pipeline. \
         Ratio: logward's MB/s over the peer's (above 1: logward is faster). \
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

fn build_logward() {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "logward"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build");
    assert!(
        status.success(),
        "cargo build --release --bin logward failed"
    );
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
    let all = |data: &Path| -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = files_of(&data.join("audit.log"))
            .into_iter()
            .chain(files_of(&data.join("app.log")))
            .map(|(_, p)| p)
            .collect();
        files.retain(|p| p.exists());
        files
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

/// One measured row.
struct Row {
    case: String,
    tool: String,
    input_bytes: u64,
    records: u64,
    seconds: f64,
    peak_kib: u64,
    /// The logward row's MB/s, for the ratio; `None` on the logward row.
    logward_mbps: Option<f64>,
}

impl Row {
    fn mbps(&self) -> f64 {
        mb(self.input_bytes) / self.seconds
    }
}

/// Runs `program args…` under `/usr/bin/time`; returns seconds and peak RSS in KiB.
fn measure(program: &str, args: &[String], envs: &[(&str, String)]) -> (f64, u64) {
    let rss = std::env::temp_dir().join(format!("logward-bench-rss-{}", std::process::id()));
    let started = Instant::now();
    let output = Command::new(TIME)
        .args(["-f", "%M", "-o"])
        .arg(&rss)
        .arg(program)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (*k, v)))
        .output()
        .expect("run a measured command");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let peak = fs::read_to_string(&rss)
        .expect("read /usr/bin/time's output")
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .next_back()
        .expect("/usr/bin/time printed the peak RSS");
    let _ = fs::remove_file(&rss);
    (seconds, peak)
}

fn count_lines(path: &Path) -> u64 {
    let reader = BufReader::with_capacity(1 << 20, File::open(path).expect("open an output"));
    reader.split(b'\n').count() as u64
}

/// `logward bundle` on the files, then the `cat | jq` and `zcat | jq` peers.
#[allow(clippy::too_many_arguments)]
fn file_case(
    case: &str,
    logward: &Path,
    config: &Path,
    bundle_args: &[&str],
    files: &[PathBuf],
    gz: &[(PathBuf, PathBuf)],
    filter: &str,
    out: &Path,
) -> Vec<Row> {
    let input_bytes = total_size(files);
    let bundle_out = out.join(format!("{case}-logward.jsonl"));
    let mut args: Vec<String> = vec!["bundle".into(), "--config".into()];
    args.push(config.display().to_string());
    args.extend(bundle_args.iter().map(|a| a.to_string()));
    args.extend(["--force".into(), "--out-file".into()]);
    args.push(bundle_out.display().to_string());
    let (seconds, peak_kib) = measure(&logward.display().to_string(), &args, &[]);
    let logward_row = Row {
        case: case.into(),
        tool: "logward bundle".into(),
        input_bytes,
        records: count_lines(&bundle_out),
        seconds,
        peak_kib,
        logward_mbps: None,
    };
    let logward_mbps = Some(logward_row.mbps());
    let mut rows = vec![logward_row];

    let gz_files: Vec<PathBuf> = files
        .iter()
        .map(|f| {
            gz.iter()
                .find(|(plain, _)| plain == f)
                .map(|(_, zipped)| zipped.clone())
                .expect("every data file has a gzipped copy")
        })
        .collect();
    for (tool, reader, inputs) in [
        (r"cat \| jq", "cat", files),
        (r"zcat \| jq", "zcat", &gz_files),
    ] {
        let peer_out = out.join(format!("{case}-{reader}.jsonl"));
        let mut args: Vec<String> = vec![
            "-c".into(),
            format!(r#"{reader} "$@" | {JQ} -c "$FILTER" > "$OUT""#),
            "sh".into(),
        ];
        args.extend(inputs.iter().map(|p| p.display().to_string()));
        let envs = [
            ("FILTER", filter.to_string()),
            ("OUT", peer_out.display().to_string()),
        ];
        let (seconds, peak_kib) = measure("sh", &args, &envs);
        rows.push(Row {
            case: case.into(),
            tool: tool.into(),
            input_bytes,
            records: count_lines(&peer_out),
            seconds,
            peak_kib,
            logward_mbps,
        });
    }
    rows
}

/// `YYYY-MM-DD HH:MM:SS` and the RFC 3339 prefix `YYYY-MM-DDTHH:MM:SS` of a second.
fn second_forms(micros: i64) -> (String, String) {
    let mut text = Vec::new();
    push_rfc3339(&mut text, micros);
    let rfc = String::from_utf8(text).expect("RFC 3339 text is ASCII")[..19].to_string();
    (rfc.replacen('T', " ", 1), rfc)
}

/// Sends records to journald, then `logward bundle` against `journalctl -o json | jq`.
fn journal_case(logward: &Path, work: &Path, out: &Path) -> Vec<Row> {
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

    let (from_arg, from_rfc) = second_forms(from);
    let (to_arg, _) = second_forms(to);
    let (_, after_rfc) = second_forms(to + 1_000_000);
    let config = work.join("journal.conf");
    fs::write(&config, "LOG_LEVEL=debug\nLOG_LEVEL_AUDIT=debug\n")
        .expect("write the journal configuration");
    let bundle_out = out.join("journal-logward.jsonl");
    let mut args: Vec<String> = vec!["bundle".into(), "--config".into()];
    args.push(config.display().to_string());
    args.extend(["--date-from".into(), from_arg, "--date-to".into(), to_arg]);
    args.extend(["--force".into(), "--out-file".into()]);
    args.push(bundle_out.display().to_string());
    let (seconds, peak_kib) = measure(&logward.display().to_string(), &args, &[]);
    let input_bytes = fs::metadata(&bundle_out)
        .expect("the journal bundle exists")
        .len();
    let logward_row = Row {
        case: "journal".into(),
        tool: "logward bundle".into(),
        input_bytes,
        records: count_lines(&bundle_out),
        seconds,
        peak_kib,
        logward_mbps: None,
    };

    // The same window as bundle's journalctl: widened by 10 minutes.
    let slack = 600;
    let since = (from.div_euclid(1_000_000) - slack).to_string();
    let until = ((to + 1_000_000 + 999_999).div_euclid(1_000_000) + slack).to_string();
    let peer_out = out.join("journal-jq.jsonl");
    let filter = format!(
        r#".MESSAGE | fromjson | select(.created_at >= "{from_rfc}" and .created_at < "{after_rfc}")"#
    );
    let matches = LogType::ALL
        .iter()
        .map(|t| format!("LOG_TYPE={t}"))
        .collect::<Vec<_>>()
        .join(" ");
    let script = format!(
        r#"journalctl -o json --all --no-pager --quiet --since=@{since} --until=@{until} {matches} | {JQ} -c "$FILTER" > "$OUT""#
    );
    let envs = [("FILTER", filter), ("OUT", peer_out.display().to_string())];
    let (seconds, peak_kib) = measure("sh", &["-c".into(), script], &envs);
    let peer_row = Row {
        case: "journal".into(),
        tool: r"journalctl -o json \| jq".into(),
        input_bytes,
        records: count_lines(&peer_out),
        seconds,
        peak_kib,
        logward_mbps: Some(logward_row.mbps()),
    };
    for path in [&bundle_out, &peer_out] {
        let ours = count_containing(path, &run_id);
        if ours != JOURNAL_RECORDS {
            eprintln!(
                "!!! MISMATCH: {} holds {ours} of the {JOURNAL_RECORDS} records sent",
                path.display()
            );
        }
    }
    vec![logward_row, peer_row]
}

fn count_containing(path: &Path, needle: &str) -> u64 {
    let reader = BufReader::new(File::open(path).expect("open an output"));
    reader
        .lines()
        .map_while(Result::ok)
        .filter(|l| l.contains(needle))
        .count() as u64
}

fn print_table(rows: &[Row]) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "| case | tool | input MB | records out | seconds | MB/s | peak RSS MB | logward/peer |"
    );
    let _ = writeln!(stdout, "|---|---|--:|--:|--:|--:|--:|--:|");
    for row in rows {
        let ratio = row
            .logward_mbps
            .map_or("—".to_string(), |l| format!("{:.1}×", l / row.mbps()));
        let _ = writeln!(
            stdout,
            "| {} | {} | {:.0} | {} | {:.2} | {:.0} | {:.1} | {} |",
            row.case,
            row.tool,
            mb(row.input_bytes),
            row.records,
            row.seconds,
            row.mbps(),
            row.peak_kib as f64 / 1024.0,
            ratio
        );
    }
    for case in ["narrow", "all", "journal"] {
        let counts: Vec<u64> = rows
            .iter()
            .filter(|r| r.case == case)
            .map(|r| r.records)
            .collect();
        if counts.windows(2).any(|w| w[0] != w[1]) {
            eprintln!("!!! MISMATCH in case {case}: record counts {counts:?}");
            let _ = writeln!(stdout, "\n**MISMATCH in case {case}: {counts:?}**");
        }
    }
}
