//! CPU time and memory of a process from Linux's /proc.

use std::time::Instant;

/// Clock ticks per second of /proc/<pid>/stat (USER_HZ). The kernel fixes it
/// at 100 on every Linux architecture Tandem runs on (`getconf CLK_TCK`).
pub const CLK_TCK: u64 = 100;

/// Which process to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proc {
    /// This process.
    Myself,
    /// Another process by id.
    Pid(u32),
}

impl Proc {
    fn path(self, file: &str) -> String {
        match self {
            Proc::Myself => format!("/proc/self/{file}"),
            Proc::Pid(pid) => format!("/proc/{pid}/{file}"),
        }
    }

    /// User plus system CPU time so far, in clock ticks.
    pub fn cpu_ticks(self) -> Option<u64> {
        let text = std::fs::read_to_string(self.path("stat")).ok()?;
        parse_stat_ticks(&text)
    }

    /// (VmRSS, VmHWM) in KiB: resident memory now and at its peak.
    pub fn memory_kib(self) -> Option<(u64, u64)> {
        let text = std::fs::read_to_string(self.path("status")).ok()?;
        Some((
            parse_status_kib(&text, "VmRSS:")?,
            parse_status_kib(&text, "VmHWM:")?,
        ))
    }

    /// CPU time and wall time now.
    pub fn sample(self) -> Option<CpuSample> {
        Some(CpuSample {
            at: Instant::now(),
            ticks: self.cpu_ticks()?,
        })
    }
}

/// utime + stime from the text of /proc/<pid>/stat. The command name (field
/// 2) may hold spaces and parentheses, so fields are counted from the last `)`.
pub fn parse_stat_ticks(text: &str) -> Option<u64> {
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    // After ")": state is field 3, utime field 14, stime field 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// A `Name:   1234 kB` line of /proc/<pid>/status.
pub fn parse_status_kib(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    line[name.len()..]
        .split_ascii_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The host's UDP error counters (/proc/net/snmp): datagrams dropped
/// because a socket's receive buffer was full, and sends refused for a full
/// send buffer. System-wide: every process's sockets count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UdpErrors {
    /// `RcvbufErrors`.
    pub rcvbuf: u64,
    /// `SndbufErrors`.
    pub sndbuf: u64,
}

impl UdpErrors {
    /// Reads the counters now.
    pub fn read() -> Option<Self> {
        parse_snmp_udp(&std::fs::read_to_string("/proc/net/snmp").ok()?)
    }

    /// What happened between `self` and `later`.
    pub fn until(&self, later: &UdpErrors) -> UdpErrors {
        UdpErrors {
            rcvbuf: later.rcvbuf.saturating_sub(self.rcvbuf),
            sndbuf: later.sndbuf.saturating_sub(self.sndbuf),
        }
    }
}

/// The `Udp:` header and value lines of /proc/net/snmp.
pub fn parse_snmp_udp(text: &str) -> Option<UdpErrors> {
    let mut lines = text.lines().filter(|l| l.starts_with("Udp:"));
    let names: Vec<&str> = lines.next()?.split_ascii_whitespace().collect();
    let values: Vec<&str> = lines.next()?.split_ascii_whitespace().collect();
    let get = |name: &str| -> Option<u64> {
        let i = names.iter().position(|n| *n == name)?;
        values.get(i)?.parse().ok()
    };
    Some(UdpErrors {
        rcvbuf: get("RcvbufErrors")?,
        sndbuf: get("SndbufErrors")?,
    })
}

/// CPU ticks at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuSample {
    /// When.
    pub at: Instant,
    /// utime + stime in clock ticks.
    pub ticks: u64,
}

impl CpuSample {
    /// CPU used between `self` and `later` as a percentage of one core.
    pub fn pct_of_core_until(&self, later: &CpuSample) -> f64 {
        let wall = later.at.saturating_duration_since(self.at).as_secs_f64();
        if wall <= 0.0 {
            return 0.0;
        }
        let cpu = later.ticks.saturating_sub(self.ticks) as f64 / CLK_TCK as f64;
        cpu * 100.0 / wall
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_ticks_survive_odd_command_names() {
        let line = "4242 (tan dem) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 \
                    1234 567 0 0 20 0 9 0 100 1000000 500 18446744073709551615";
        assert_eq!(parse_stat_ticks(line), Some(1234 + 567));
        assert_eq!(parse_stat_ticks("garbage"), None);
    }

    #[test]
    fn status_lines_are_read_in_kib() {
        let text = "Name:\ttandem\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(parse_status_kib(text, "VmRSS:"), Some(10240));
        assert_eq!(parse_status_kib(text, "VmHWM:"), Some(20480));
        assert_eq!(parse_status_kib(text, "VmSwap:"), None);
    }

    #[test]
    fn udp_error_counters_are_found_by_name() {
        let text = "Ip: Forwarding DefaultTTL\nIp: 1 64\n\
                    Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n\
                    Udp: 100 2 3 90 7 1\n\
                    UdpLite: InDatagrams RcvbufErrors SndbufErrors\nUdpLite: 0 0 0\n";
        let e = parse_snmp_udp(text).unwrap();
        assert_eq!(
            e,
            UdpErrors {
                rcvbuf: 7,
                sndbuf: 1
            }
        );
        let later = UdpErrors {
            rcvbuf: 10,
            sndbuf: 1,
        };
        assert_eq!(
            e.until(&later),
            UdpErrors {
                rcvbuf: 3,
                sndbuf: 0
            }
        );
        assert!(UdpErrors::read().is_some());
    }

    #[test]
    fn cpu_percent_of_one_core() {
        let t0 = Instant::now();
        let a = CpuSample {
            at: t0,
            ticks: 1000,
        };
        let b = CpuSample {
            at: t0 + std::time::Duration::from_secs(10),
            ticks: 1500,
        };
        // 500 ticks = 5 s of CPU over 10 s of wall time.
        assert!((a.pct_of_core_until(&b) - 50.0).abs() < 1e-9);
        assert_eq!(b.pct_of_core_until(&a), 0.0);
    }

    #[test]
    fn reads_this_process() {
        assert!(Proc::Myself.cpu_ticks().is_some());
        let (rss, hwm) = Proc::Myself.memory_kib().unwrap();
        assert!(rss > 0 && hwm >= rss);
    }
}
