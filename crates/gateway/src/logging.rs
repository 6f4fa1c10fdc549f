//! Tracing set-up and the one redaction wrapper every phone number and
//! address goes through before it reaches a log line.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing_subscriber::EnvFilter;

use crate::config::LogSettings;

static REDACT: AtomicBool = AtomicBool::new(true);

/// Installs the global subscriber (RUST_LOG overrides the configured level).
pub fn init(settings: &LogSettings) {
    REDACT.store(settings.redact, Ordering::Relaxed);
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: files and journald get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi)
        .try_init();
}

/// Turns redaction on or off (tests, and the `log.redact` setting).
pub fn set_redaction(on: bool) {
    REDACT.store(on, Ordering::Relaxed);
}

/// Personal data in a log line: a phone number, a SIP URI user, an address.
/// With redaction on, all but the last few characters are masked.
#[derive(Clone, Copy)]
pub struct Pii<T>(pub T);

impl<T: fmt::Display> fmt::Display for Pii<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !REDACT.load(Ordering::Relaxed) {
            return self.0.fmt(f);
        }
        let s = self.0.to_string();
        let keep = if s.len() > 6 { 3 } else { 1 };
        let n = s.chars().count();
        for (i, c) in s.chars().enumerate() {
            if i + keep >= n || matches!(c, '+' | '.' | ':' | '[' | ']' | '@') {
                f.write_str(c.encode_utf8(&mut [0; 4]))?;
            } else {
                f.write_str("*")?;
            }
        }
        Ok(())
    }
}

impl<T: fmt::Display> fmt::Debug for Pii<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_the_tail() {
        set_redaction(true);
        assert_eq!(Pii("+15550100").to_string(), "+*****100");
        assert_eq!(Pii("127.0.0.1:5090").to_string(), "***.*.*.*:*090");
    }
}
