//! Progress bars on a terminal, plain log lines otherwise.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use metrodati_pipelines::progress::Progress;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("METRODATI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// A progress reporter: an indicatif bar on a terminal; elsewhere (CI, cron,
/// systemd) a log line at most every few seconds.
pub struct Reporter {
    bar: Option<ProgressBar>,
    plain: Mutex<Plain>,
}

struct Plain {
    label: String,
    total: u64,
    done: u64,
    last: Instant,
}

impl Reporter {
    pub fn new() -> Reporter {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} {prefix:>8} [{bar:40}] {pos}/{len} {msg} ({elapsed})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        Reporter {
            bar,
            plain: Mutex::new(Plain {
                label: String::new(),
                total: 0,
                done: 0,
                last: Instant::now(),
            }),
        }
    }
}

impl Progress for Reporter {
    fn start(&self, label: &str, total: u64) {
        if let Some(b) = &self.bar {
            b.reset();
            b.set_prefix(label.to_string());
            b.set_length(total);
        }
        if let Ok(mut p) = self.plain.lock() {
            *p = Plain {
                label: label.into(),
                total,
                done: 0,
                last: Instant::now(),
            };
        }
    }

    fn inc(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
            return;
        }
        if let Ok(mut p) = self.plain.lock() {
            p.done += n;
            if p.last.elapsed() >= Duration::from_secs(5) {
                p.last = Instant::now();
                eprintln!("{}: {}/{}", p.label, p.done, p.total);
            }
        }
    }

    fn message(&self, msg: &str) {
        if let Some(b) = &self.bar {
            b.set_message(msg.to_string());
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        } else if let Ok(p) = self.plain.lock() {
            eprintln!("{}: {}/{} done", p.label, p.done, p.total);
        }
    }
}
