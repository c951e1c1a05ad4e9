//! The tables: every case, logward's ratios to its peers, the targets, and
//! the machine it ran on.

use std::process::Command;

use crate::measure::{Dest, Row};

pub fn rows(rows: &[Row]) {
    println!(
        "| sink | tool | threads | records/s | p50 ns | p99 ns | p99.9 ns | max µs | lost | bytes/record |"
    );
    println!("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
    for r in rows {
        let bytes = r
            .bytes_per_record
            .map_or_else(|| "—".to_string(), |b| format!("{b:.0}"));
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.dest.name(),
            r.tool,
            r.threads,
            thousands(r.per_second() as u64),
            r.quantile(0.5),
            r.quantile(0.99),
            r.quantile(0.999),
            thousands(u64::from(r.quantile(1.0)) / 1000),
            r.lost,
            bytes,
        );
    }
}

/// logward over each peer, per sink and thread count: throughput ratios
/// (above 1: logward is faster) and latency ratios (above 1: logward's
/// callers wait less).
pub fn ratios(rows: &[Row]) {
    println!(
        "| sink | threads | peer | records/s logward/peer | p50 peer/logward | p99.9 peer/logward |"
    );
    println!("|---|--:|---|--:|--:|--:|");
    for ours in rows
        .iter()
        .filter(|r| r.tool == "logward" || r.tool == "logward typed")
    {
        let typed = ours.tool.ends_with(" typed");
        let peers = rows
            .iter()
            .filter(|r| !r.tool.starts_with("logward") && r.tool.ends_with(" typed") == typed)
            .filter(|r| r.dest == ours.dest && r.threads == ours.threads);
        for peer in peers {
            println!(
                "| {}{} | {} | {} | {:.2}× | {:.2}× | {:.2}× |",
                ours.dest.name(),
                if typed { " (typed)" } else { "" },
                ours.threads,
                peer.tool,
                ours.per_second() / peer.per_second(),
                f64::from(peer.quantile(0.5)) / f64::from(ours.quantile(0.5).max(1)),
                f64::from(peer.quantile(0.999)) / f64::from(ours.quantile(0.999).max(1)),
            );
        }
    }
}

/// The journald cases: throughput, and the CPU time journald itself spent
/// per entry, which bounds the throughput of any client.
pub fn journald(rows: &[Row]) {
    let cases: Vec<&Row> = rows.iter().filter(|r| r.dest == Dest::Journald).collect();
    if cases.is_empty() {
        return;
    }
    println!("| journald | threads | records/s | journald CPU µs/entry | lost |");
    println!("|---|--:|--:|--:|--:|");
    for r in cases {
        let cpu = r
            .journald_us
            .map_or_else(|| "—".to_string(), |us| format!("{us:.1}"));
        println!(
            "| {} | {} | {} | {cpu} | {} |",
            r.tool,
            r.threads,
            thousands(r.per_second() as u64),
            r.lost
        );
    }
}

/// Each target of the file and journald sinks, per thread count, with the
/// figure from this run and whether it is met.
pub fn targets(rows: &[Row], disabled_ns: f64) {
    let find = |tool: &str, dest: Dest, threads: usize| {
        rows.iter()
            .find(|r| r.tool == tool && r.dest == dest && r.threads == threads)
    };
    let verdict = |met: bool| if met { "met" } else { "missed" };
    type Check = fn(&Row, &Row, &Row) -> (String, bool);
    let file_checks: [(&str, Check); 6] = [
        ("caller p50 ≤ 250 ns (file)", |ours, _, _| {
            let p50 = ours.quantile(0.5);
            (format!("{p50} ns"), p50 <= 250)
        }),
        ("caller p99.9 ≤ 5 µs (file)", |ours, _, _| {
            let p999 = ours.quantile(0.999);
            (format!("{p999} ns"), p999 <= 5_000)
        }),
        ("p50 ≥ 5× lower than fmt_json (file)", |ours, fmt, _| {
            let ratio = f64::from(fmt.quantile(0.5)) / f64::from(ours.quantile(0.5).max(1));
            (format!("{ratio:.2}×"), ratio >= 5.0)
        }),
        ("records/s ≥ 3× fmt_json (file)", |ours, fmt, _| {
            let ratio = ours.per_second() / fmt.per_second();
            (format!("{ratio:.2}×"), ratio >= 3.0)
        }),
        (
            "records/s ≥ the 1-thread baseline (file)",
            |ours, _, base| {
                let ratio = ours.per_second() / base.per_second();
                (format!("{ratio:.2}×"), ratio >= 1.0)
            },
        ),
        ("no record lost (file)", |ours, _, _| {
            (format!("{} lost", ours.lost), ours.lost == 0)
        }),
    ];
    println!("| target | 1 thread | 2 threads |");
    println!("|---|---|---|");
    let base = find("baseline", Dest::File, 1);
    for (name, check) in file_checks {
        let cells: Vec<String> = [1, 2]
            .into_iter()
            .map(|threads| {
                match (
                    find("logward", Dest::File, threads),
                    find("fmt_json", Dest::File, threads),
                    base,
                ) {
                    (Some(ours), Some(fmt), Some(base)) => {
                        let (figure, met) = check(ours, fmt, base);
                        format!("{figure}: {}", verdict(met))
                    }
                    _ => "—".to_string(),
                }
            })
            .collect();
        println!("| {name} | {} | {} |", cells[0], cells[1]);
    }
    let journald: Vec<[String; 2]> = [1, 2]
        .into_iter()
        .map(|threads| {
            match (
                find("logward", Dest::Journald, threads),
                find("tracing-journald", Dest::Journald, threads),
            ) {
                (Some(ours), Some(peer)) => {
                    let ratio = ours.per_second() / peer.per_second();
                    let met = ratio >= 1.0 && ours.lost == 0;
                    let cpu = match (ours.journald_us, peer.journald_us) {
                        (Some(ours), Some(peer)) => {
                            format!("{ours:.1}/{peer:.1} µs: {}", verdict(ours <= peer))
                        }
                        _ => "—".to_string(),
                    };
                    [
                        format!("{ratio:.2}×, {} lost: {}", ours.lost, verdict(met)),
                        cpu,
                    ]
                }
                _ => ["—".to_string(), "—".to_string()],
            }
        })
        .collect();
    println!(
        "| records/s ≥ 1.0× tracing-journald, none lost | {} | {} |",
        journald[0][0], journald[1][0]
    );
    println!(
        "| journald CPU per entry ≤ tracing-journald's (logward/peer) | {} | {} |",
        journald[0][1], journald[1][1]
    );
    let typed: Vec<[String; 2]> = [1, 2]
        .into_iter()
        .map(|threads| {
            match (
                find("logward typed", Dest::File, threads),
                find("fmt_json typed", Dest::File, threads),
            ) {
                (Some(ours), Some(fmt)) => {
                    let p50 = ours.quantile(0.5);
                    let ratio = f64::from(fmt.quantile(0.5)) / f64::from(p50.max(1));
                    [
                        format!("{p50} ns: {}", verdict(p50 <= 120)),
                        format!("{ratio:.2}×: {}", verdict(ratio >= 20.0)),
                    ]
                }
                _ => ["—".to_string(), "—".to_string()],
            }
        })
        .collect();
    println!(
        "| typed record caller p50 ≤ 120 ns (file) | {} | {} |",
        typed[0][0], typed[1][0]
    );
    println!(
        "| typed p50 ≥ 20× lower than fmt_json typed (file) | {} | {} |",
        typed[0][1], typed[1][1]
    );
    println!(
        "| disabled event ≤ 5 ns | {disabled_ns:.2} ns: {} | |",
        verdict(disabled_ns <= 5.0)
    );
    scaling(rows);
}

/// The scaling targets, for each thread count above 2 that ran: logward's
/// records/s to a file at least 0.8× its own with 1 thread, p99.9 ≤ 20 µs.
fn scaling(rows: &[Row]) {
    let logward = |threads: usize| {
        rows.iter()
            .find(|r| r.tool == "logward" && r.dest == Dest::File && r.threads == threads)
    };
    let Some(one) = logward(1) else { return };
    for threads in [4, 8] {
        let Some(many) = logward(threads) else {
            continue;
        };
        let ratio = many.per_second() / one.per_second();
        let p999 = many.quantile(0.999);
        println!(
            "| {threads} threads: records/s ≥ 0.8× 1 thread (file) | {ratio:.2}×: {} | |",
            if ratio >= 0.8 { "met" } else { "missed" }
        );
        println!(
            "| {threads} threads: p99.9 ≤ 20 µs (file) | {p999} ns: {} | |",
            if p999 <= 20_000 { "met" } else { "missed" }
        );
    }
}

/// One line saying what the machine is.
pub fn machine() {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = value_after(&cpuinfo, "model name", ':').unwrap_or("unknown CPU");
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let ram_gib = value_after(&meminfo, "MemTotal", ':')
        .and_then(|kb| kb.trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    let release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let os =
        value_after(&release, "PRETTY_NAME", '=').map_or("unknown OS", |s| s.trim_matches('"'));
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let kernel = Command::new("uname")
        .arg("-r")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!("Machine: {cpus} CPUs ({model}), {ram_gib:.0} GiB RAM, {os}, Linux {kernel}.");
}

/// The text after `sep` on the first line of `text` starting with `key`.
fn value_after<'a>(text: &'a str, key: &str, sep: char) -> Option<&'a str> {
    text.lines()
        .find(|line| line.starts_with(key))
        .and_then(|line| line.split_once(sep))
        .map(|(_, value)| value.trim())
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
