//! `verbatim check` on several texts: files, directories (every file in them, recursively,
//! hidden ones left out) and glob patterns go to the Checker as one `CheckTexts` stream, with a
//! progress bar; then come the findings that need attention, as diagnostics, and a summary table
//! per file (or JSON, or a SARIF log).

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use anyhow::{Context as _, bail};
use clap::ValueEnum;
use serde_json::{Value, json};

use super::check::{self, Which};
use super::client::{self, Connection};
use super::progress::Progress;
use super::sarif::SarifLog;
use crate::proto::v1 as pb;

/// How `verbatim check` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics like a compiler's, and a summary table for several files.
    Text,
    /// JSON: the response, or for several files one object per file.
    Json,
    /// SARIF 2.1.0, for code-review and CI tools.
    Sarif,
}

/// A text to check: a file, or standard input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// The name shown for it: the path as given, or `-`.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".into(),
            Input::File(path) => path.display().to_string(),
        }
    }

    /// Its text.
    ///
    /// # Errors
    /// When it cannot be read, or is not UTF-8.
    pub fn read(&self) -> anyhow::Result<String> {
        match self {
            Input::Stdin => check::read_input("-"),
            Input::File(path) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display())),
        }
    }
}

/// The texts `paths` name: files as they are, directories walked, patterns expanded, each once
/// and in order.
///
/// # Errors
/// For a path that does not exist, or a pattern nothing matches.
pub fn expand(paths: &[String]) -> anyhow::Result<Vec<Input>> {
    let mut inputs = Vec::new();
    for path in paths {
        if path == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let as_path = Path::new(path);
        if as_path.is_dir() {
            walk(as_path, &mut inputs)?;
        } else if as_path.exists() {
            inputs.push(Input::File(as_path.to_path_buf()));
        } else if path.contains(['*', '?', '[']) {
            // As a shell's: `*` does not match a leading dot.
            let options = glob::MatchOptions {
                require_literal_leading_dot: true,
                ..glob::MatchOptions::default()
            };
            let mut matched: Vec<PathBuf> = glob::glob_with(path, options)
                .with_context(|| format!("`{path}` is not a valid pattern"))?
                .filter_map(Result::ok)
                .collect();
            matched.sort();
            if matched.is_empty() {
                bail!("no file matches `{path}`");
            }
            for found in matched {
                if found.is_dir() {
                    walk(&found, &mut inputs)?;
                } else {
                    inputs.push(Input::File(found));
                }
            }
        } else {
            bail!("cannot read {path}: no such file or directory");
        }
    }
    let mut seen = std::collections::HashSet::new();
    inputs.retain(|input| seen.insert(input.clone()));
    Ok(inputs)
}

/// Every regular file under `dir`, sorted, leaving out hidden files and folders.
fn walk(dir: &Path, into: &mut Vec<Input>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(Result::ok)
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .map(|entry| entry.path())
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            walk(&entry, into)?;
        } else if entry.is_file() {
            into.push(Input::File(entry));
        }
    }
    Ok(())
}

/// What became of one text.
struct Outcome {
    name: String,
    result: Result<pb::CheckSummary, String>,
}

/// Checks every input through one `CheckTexts` stream and reports in `format`. Exit code 0 when
/// nothing needs attention, 1 when something does, 2 when a text could not be checked.
///
/// # Errors
/// When the server cannot be reached or the stream breaks.
pub async fn check_all(
    connection: &mut Connection,
    inputs: Vec<Input>,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let names: Vec<String> = inputs.iter().map(Input::name).collect();
    let texts: Vec<Result<String, String>> = inputs
        .iter()
        .map(|input| input.read().map_err(|e| format!("{e:#}")))
        .collect();
    let requests: Vec<pb::CheckTextRequest> = texts
        .iter()
        .enumerate()
        .filter_map(|(i, text)| {
            text.as_ref().ok().map(|text| pb::CheckTextRequest {
                text: text.clone(),
                document_id: i.to_string(),
                options: None,
            })
        })
        .collect();
    let done = Arc::new(AtomicU64::new(0));
    let progress = Progress::start(
        "checking",
        "files",
        requests.len() as u64,
        Arc::clone(&done),
    );
    let mut responses = connection
        .checker
        .check_texts(tokio_stream::iter(requests))
        .await
        .map_err(client::describe)?
        .into_inner();

    let mut outcomes: Vec<Outcome> = names
        .iter()
        .zip(&texts)
        .map(|(name, text)| Outcome {
            name: name.clone(),
            result: Err(text
                .as_ref()
                .err()
                .cloned()
                .unwrap_or_else(|| "the server did not answer for it".into())),
        })
        .collect();
    let mut sarif = SarifLog::default();
    let mut json_files = Vec::new();
    while let Some(response) = responses.message().await.map_err(client::describe)? {
        done.fetch_add(1, Ordering::Relaxed);
        let Some(index) = response
            .document_id
            .parse::<usize>()
            .ok()
            .filter(|&i| i < outcomes.len())
        else {
            continue;
        };
        let name = &names[index];
        if let Some(error) = &response.error {
            outcomes[index].result = Err(format!(
                "{}: {}",
                crate::proto::code_name(tonic::Code::from_i32(error.code)),
                error.message
            ));
            continue;
        }
        let text = texts[index].as_deref().unwrap_or_default();
        match format {
            Format::Text => {
                if check::needs_attention(&response) {
                    progress_pause();
                    check::print_report(name, text, &response, Which::NeedingAttention);
                }
            }
            Format::Json => {
                let mut file = check::response_json(&response);
                file["file"] = json!(name);
                json_files.push(file);
            }
            Format::Sarif => sarif.add(&name.replace('\\', "/"), text, &response),
        }
        outcomes[index].result = Ok(response.summary.unwrap_or_default());
    }
    progress.finish();

    let failed = outcomes.iter().any(|o| o.result.is_err());
    let attention = outcomes
        .iter()
        .any(|o| o.result.as_ref().is_ok_and(summary_needs_attention));
    match format {
        Format::Text => print_table(&outcomes),
        Format::Json => {
            for outcome in &outcomes {
                if let Err(error) = &outcome.result {
                    json_files.push(json!({"file": outcome.name, "error": error}));
                }
            }
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &json!({"files": json_files, "total": total_json(&outcomes)})
                )
                .expect("a JSON value always serializes")
            );
        }
        Format::Sarif => {
            for outcome in outcomes.iter().filter(|o| o.result.is_err()) {
                eprintln!(
                    "{}: not checked: {}",
                    outcome.name,
                    outcome.result.as_ref().err().map_or("", String::as_str)
                );
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&sarif.to_json())
                    .expect("a JSON value always serializes")
            );
        }
    }
    Ok(if failed {
        ExitCode::from(2)
    } else if attention {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Clears the progress bar's line before diagnostics are printed over it.
fn progress_pause() {
    use std::io::{IsTerminal as _, Write as _};
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
        let _ = std::io::stderr().flush();
    }
}

fn summary_needs_attention(summary: &pb::CheckSummary) -> bool {
    summary.misquoted > 0
        || summary.retracted > 0
        || summary.attribution_missing > 0
        || summary.attribution_misattributed > 0
}

fn total_json(outcomes: &[Outcome]) -> Value {
    let summaries: Vec<&pb::CheckSummary> = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok())
        .collect();
    let sum =
        |field: fn(&pb::CheckSummary) -> u32| -> u32 { summaries.iter().map(|s| field(s)).sum() };
    json!({
        "files": outcomes.len(),
        "not_checked": outcomes.len() - summaries.len(),
        "quotations": sum(|s| s.total),
        "verified": sum(|s| s.verified),
        "misquoted": sum(|s| s.misquoted),
        "unregistered": sum(|s| s.unregistered),
        "retracted": sum(|s| s.retracted),
        "attribution_missing": sum(|s| s.attribution_missing),
        "attribution_misattributed": sum(|s| s.attribution_misattributed),
    })
}

/// The per-file table: counts by verdict and attribution, and what needs doing.
fn print_table(outcomes: &[Outcome]) {
    let header = [
        "file",
        "quotes",
        "verified",
        "misquoted",
        "unregistered",
        "retracted",
        "no credit",
        "misattributed",
        "result",
    ];
    let rows: Vec<[String; 9]> = outcomes
        .iter()
        .map(|outcome| match &outcome.result {
            Ok(s) => [
                outcome.name.clone(),
                s.total.to_string(),
                s.verified.to_string(),
                s.misquoted.to_string(),
                s.unregistered.to_string(),
                s.retracted.to_string(),
                s.attribution_missing.to_string(),
                s.attribution_misattributed.to_string(),
                if summary_needs_attention(s) {
                    "needs attention".into()
                } else {
                    "ok".into()
                },
            ],
            Err(error) => {
                let mut row: [String; 9] = Default::default();
                row[0] = outcome.name.clone();
                row[8] = format!("not checked: {error}");
                row
            }
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (c, cell) in cells.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 || c == cells.len() - 1 {
                out.push_str(cell);
                if c < cells.len() - 1 {
                    out.push_str(&" ".repeat(pad));
                }
            } else {
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            }
            if c < cells.len() - 1 {
                out.push_str("  ");
            }
        }
        out
    };
    println!("{}", line(&header.map(String::from)));
    for row in &rows {
        println!("{}", line(row));
    }
    let total = total_json(outcomes);
    println!(
        "{} files: {} quotations, {} misquoted, {} retracted, {} without credit, {} misattributed{}",
        outcomes.len(),
        total["quotations"],
        total["misquoted"],
        total["retracted"],
        total["attribution_missing"],
        total["attribution_misattributed"],
        match total["not_checked"].as_u64() {
            Some(0) | None => String::new(),
            Some(n) => format!("; {n} not checked"),
        }
    );
}
