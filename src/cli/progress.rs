//! A progress bar on stderr for long client commands (import, checking many files), drawn only
//! when stderr is a terminal, so pipes and logs stay clean.

use std::{
    io::{IsTerminal as _, Write as _},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// A bar redrawn ten times a second from a shared counter, until finished.
pub struct Progress {
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Starts drawing `label [####....] done/total unit, rate/s`, with `done` counted elsewhere.
    pub fn start(
        label: &'static str,
        unit: &'static str,
        total: u64,
        done: Arc<AtomicU64>,
    ) -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress { task: None };
        }
        let started = Instant::now();
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(Duration::from_millis(100));
            loop {
                ticker.tick().await;
                draw(
                    label,
                    unit,
                    done.load(Ordering::Relaxed),
                    total,
                    started.elapsed(),
                );
            }
        });
        Progress { task: Some(task) }
    }

    /// Stops drawing and clears the bar's line.
    pub fn finish(self) {
        if let Some(task) = self.task {
            task.abort();
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        }
    }
}

fn draw(label: &str, unit: &str, done: u64, total: u64, elapsed: Duration) {
    const WIDTH: u64 = 30;
    let filled = (done * WIDTH)
        .checked_div(total)
        .unwrap_or(WIDTH)
        .min(WIDTH);
    let rate = done as f64 / elapsed.as_secs_f64().max(0.001);
    eprint!(
        "\r\x1b[2K{label} [{}{}] {done}/{total} {unit}, {rate:.0}/s",
        "#".repeat(filled as usize),
        ".".repeat((WIDTH - filled) as usize),
    );
    let _ = std::io::stderr().flush();
}
