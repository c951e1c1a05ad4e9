#!/usr/bin/env bash
# The peer of cli/benches/kafka.rs: Python's confluent-kafka (librdkafka
# bundled) from PyPI, in a venv under target/bench-kafka/. Run once before
# `cargo bench -p logward-cli --bench kafka`; never at test time.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-kafka/venv
if [ ! -x "$venv/bin/python" ]; then
    command -v python3 >/dev/null || { apt-get update -qq; apt-get install -y -qq python3 >/dev/null; }
    python3 -m venv "$venv" 2>/dev/null || {
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$venv"
    }
fi
"$venv/bin/pip" install -q 'confluent-kafka>=2.12,<3'
"$venv/bin/python" -c 'import confluent_kafka; print("confluent-kafka", confluent_kafka.version(), "librdkafka", confluent_kafka.libversion()[0])'
