//! Process metrics under the names every Prometheus client library uses (`process_*`),
//! read from `/proc/self` at scrape time. Where `/proc` cannot be read (not Linux), nothing
//! is exported.
//!
//! Times in `/proc/self/stat` are in `USER_HZ` ticks, 100 per second on every Linux
//! architecture we build for (the Prometheus Go client assumes the same).

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

const USER_HZ: f64 = 100.0;

/// Registered once on the unprefixed root registry.
#[derive(Debug, Default)]
pub struct ProcessCollector;

/// One reading of `/proc/self`.
#[derive(Debug, PartialEq)]
pub(crate) struct Sample {
    pub cpu_seconds: f64,
    pub resident_bytes: i64,
    pub virtual_bytes: i64,
    pub start_time_seconds: f64,
    pub open_fds: i64,
    pub max_fds: Option<i64>,
}

/// `utime + stime` (fields 14 and 15) and `starttime` (field 22) of `/proc/self/stat`, in
/// ticks. The command name (field 2) is in parentheses and may hold spaces: fields are
/// counted after its closing one.
pub(crate) fn parse_stat(stat: &str) -> Option<(u64, u64)> {
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `f[0]` is field 3 (state).
    let field = |n: usize| f.get(n - 3).and_then(|v| v.parse::<u64>().ok());
    Some((field(14)? + field(15)?, field(22)?))
}

/// A `Name:  N kB` line of `/proc/self/status`, in bytes.
pub(crate) fn status_kb(status: &str, name: &str) -> Option<i64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    let kb: i64 = line
        .get(name.len()..)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb.saturating_mul(1024))
}

/// The soft limit of `Max open files` in `/proc/self/limits` (`None`: unlimited).
pub(crate) fn max_open_files(limits: &str) -> Option<i64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.get("Max open files".len()..)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn sample() -> Option<Sample> {
    let (cpu_ticks, start_ticks) = parse_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let boot: f64 = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count();
    Some(Sample {
        cpu_seconds: cpu_ticks as f64 / USER_HZ,
        resident_bytes: status_kb(&status, "VmRSS:")?,
        virtual_bytes: status_kb(&status, "VmSize:")?,
        start_time_seconds: boot + start_ticks as f64 / USER_HZ,
        open_fds: i64::try_from(open_fds).unwrap_or(i64::MAX),
        max_fds: std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|l| max_open_files(&l)),
    })
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(s) = sample() else {
            return Ok(());
        };
        let m = encoder.encode_descriptor(
            "process_cpu",
            "Total user and system CPU time spent",
            Some(&Unit::Seconds),
            MetricType::Counter,
        )?;
        ConstCounter::new(s.cpu_seconds).encode(m)?;
        let m = encoder.encode_descriptor(
            "process_resident_memory",
            "Resident memory size",
            Some(&Unit::Bytes),
            MetricType::Gauge,
        )?;
        ConstGauge::new(s.resident_bytes).encode(m)?;
        let m = encoder.encode_descriptor(
            "process_virtual_memory",
            "Virtual memory size",
            Some(&Unit::Bytes),
            MetricType::Gauge,
        )?;
        ConstGauge::new(s.virtual_bytes).encode(m)?;
        let m = encoder.encode_descriptor(
            "process_start_time",
            "Start time of the process since the Unix epoch",
            Some(&Unit::Seconds),
            MetricType::Gauge,
        )?;
        ConstGauge::new(s.start_time_seconds).encode(m)?;
        let m = encoder.encode_descriptor(
            "process_open_fds",
            "Open file descriptors",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(s.open_fds).encode(m)?;
        if let Some(max) = s.max_fds {
            let m = encoder.encode_descriptor(
                "process_max_fds",
                "Maximum number of open file descriptors",
                None,
                MetricType::Gauge,
            )?;
            ConstGauge::new(max).encode(m)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        // A command name with spaces and a parenthesis; fields 14/15 = 7 and 5, 22 = 1234.
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 5 0 0 20 0 3 0 1234 9000 50";
        assert_eq!(parse_stat(stat), Some((12, 1234)));
        assert_eq!(parse_stat("42 (x) S 1"), None);
    }

    #[test]
    fn status_and_limits_lines() {
        let status = "Name:\tschema-registry\nVmSize:\t  123456 kB\nVmRSS:\t    2048 kB\n";
        assert_eq!(status_kb(status, "VmRSS:"), Some(2048 * 1024));
        assert_eq!(status_kb(status, "VmSize:"), Some(123_456 * 1024));
        assert_eq!(status_kb(status, "VmSwap:"), None);
        let limits = "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 1048576              files\n";
        assert_eq!(max_open_files(limits), Some(1024));
        assert_eq!(
            max_open_files(
                "Max open files            unlimited            unlimited            files"
            ),
            None
        );
    }

    #[test]
    fn this_process_can_be_read() {
        let s = sample().expect("/proc/self is readable on Linux");
        assert!(s.resident_bytes > 0 && s.open_fds > 0, "{s:?}");
        assert!(s.start_time_seconds > 1.5e9, "{s:?}");
    }
}
