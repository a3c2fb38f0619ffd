//! What the CLI prints: a human-readable layout by default, one JSON document with `--json`.

use serde_json::{Value, json};

use super::client::format_time;
use super::import::ImportSummary;
use crate::proto::v1 as pb;
use crate::text::{CanonicalText, CanonicalVersion, ContentHash};

/// Chooses between human and JSON output.
pub struct Output {
    json: bool,
}

fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("a JSON value always serializes")
    );
}

fn outlet_json(outlet: &pb::Outlet) -> Value {
    json!({
        "id": outlet.id,
        "name": outlet.name,
        "aliases": outlet.aliases,
        "domains": outlet.domains,
    })
}

/// A quote as JSON.
pub fn quote_json(quote: &pb::Quote) -> Value {
    let attributions: Vec<Value> = quote
        .attributions
        .iter()
        .map(|a| {
            json!({
                "speaker": a.speaker,
                "speaker_aliases": a.speaker_aliases,
                "outlet_id": a.outlet_id,
                "source_url": a.source_url,
                "published_at": a.published_at.as_ref().map(format_time),
                "registered_at": a.registered_at.as_ref().map(format_time),
            })
        })
        .collect();
    json!({
        "content_hash": quote.content_hash,
        "text": quote.text,
        "canonical_text": quote.canonical_text,
        "attributions": attributions,
        "retracted": quote.retracted,
        "retraction_reason": quote.retraction_reason,
        "retracted_at": quote.retracted_at.as_ref().map(format_time),
        "registered_at": quote.registered_at.as_ref().map(format_time),
    })
}

fn credit_line(a: &pb::Attribution) -> String {
    let mut parts = Vec::new();
    if !a.speaker.is_empty() {
        if a.speaker_aliases.is_empty() {
            parts.push(a.speaker.clone());
        } else {
            parts.push(format!(
                "{} (also: {})",
                a.speaker,
                a.speaker_aliases.join(", ")
            ));
        }
    }
    if !a.outlet_id.is_empty() {
        parts.push(format!("outlet {}", a.outlet_id));
    }
    if !a.source_url.is_empty() {
        parts.push(a.source_url.clone());
    }
    if let Some(published) = &a.published_at {
        parts.push(format!("published {}", format_time(published)));
    }
    parts.join(" · ")
}

fn print_quote(quote: &pb::Quote) {
    println!("{}", quote.content_hash);
    println!("  “{}”", quote.text);
    println!("  canonical: {}", quote.canonical_text);
    if let Some(registered) = &quote.registered_at {
        println!("  registered: {}", format_time(registered));
    }
    println!("  credited to:");
    for attribution in &quote.attributions {
        println!("    - {}", credit_line(attribution));
    }
    if quote.retracted {
        let at = quote
            .retracted_at
            .as_ref()
            .map(format_time)
            .unwrap_or_default();
        println!("  RETRACTED {at}: {}", quote.retraction_reason);
    }
}

fn shorten(text: &str, max_chars: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max_chars {
        flat
    } else {
        let cut: String = flat.chars().take(max_chars - 1).collect();
        format!("{cut}…")
    }
}

fn or_dash(text: &str) -> &str {
    if text.is_empty() { "-" } else { text }
}

fn role_name(role: i32) -> &'static str {
    match pb::Role::try_from(role) {
        Ok(pb::Role::Reader) => "reader",
        Ok(pb::Role::Editor) => "editor",
        Ok(pb::Role::Admin) => "admin",
        Ok(pb::Role::Unspecified) | Err(_) => "unknown",
    }
}

fn key_json(key: &pb::ApiKeyInfo) -> Value {
    json!({
        "name": key.name,
        "role": role_name(key.role),
        "created_at": key.created_at.as_ref().map(format_time),
        "revoked_at": key.revoked_at.as_ref().map(format_time),
    })
}

impl Output {
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    /// A new key: the secret alone on stdout (so it can be piped into a file), the rest on stderr.
    pub fn key_created(&self, key: &pb::ApiKeyInfo, secret: &str) {
        if self.json {
            let mut value = key_json(key);
            value["secret"] = json!(secret);
            print_json(&value);
        } else {
            println!("{secret}");
        }
        eprintln!(
            "key {:?} ({}) added; it is shown only now: store it safely",
            key.name,
            role_name(key.role)
        );
    }

    /// Keys, one a line: name, role, active or revoked.
    pub fn keys(&self, keys: &[pb::ApiKeyInfo]) {
        if self.json {
            print_json(&Value::Array(keys.iter().map(key_json).collect()));
            return;
        }
        for key in keys {
            let state = if key.revoked_at.is_some() {
                "revoked"
            } else {
                "active"
            };
            println!("{}\t{}\t{state}", key.name, role_name(key.role));
        }
    }

    /// Audit events, one a line (tab-separated: time, actor, action, subject, detail), or one
    /// JSON object a line, since the trail may be long.
    pub fn audit_events(&self, events: &[pb::AuditEvent]) {
        for event in events {
            let at = event.at.as_ref().map(format_time).unwrap_or_default();
            if self.json {
                println!(
                    "{}",
                    json!({
                        "seq": event.seq,
                        "at": at,
                        "actor": event.actor,
                        "action": event.action,
                        "subject": event.subject,
                        "detail": event.detail,
                    })
                );
            } else {
                println!(
                    "{at}\t{}\t{}\t{}\t{}",
                    or_dash(&event.actor),
                    or_dash(&event.action),
                    event.subject,
                    event.detail
                );
            }
        }
    }

    pub fn hash(&self, hash: &ContentHash, canonical: &CanonicalText) {
        if self.json {
            print_json(&json!({
                "content_hash": hash.to_string(),
                "canonical_text": canonical.as_str(),
                "canonical_version": CanonicalVersion::CURRENT.number(),
            }));
        } else {
            println!("{hash}");
        }
    }

    pub fn health(&self, service: &str, status: &str) {
        if self.json {
            print_json(&json!({ "service": service, "status": status }));
        } else {
            println!("{status}");
        }
    }

    pub fn outlet_registered(&self, response: &pb::RegisterOutletResponse) {
        let Some(outlet) = &response.outlet else {
            return;
        };
        if self.json {
            print_json(&json!({ "outlet": outlet_json(outlet), "created": response.created }));
        } else {
            let verb = if response.created {
                "registered"
            } else {
                "updated"
            };
            println!("{verb} outlet {} ({})", outlet.id, outlet.name);
        }
    }

    pub fn outlets(&self, outlets: &[pb::Outlet]) {
        if self.json {
            print_json(&Value::Array(outlets.iter().map(outlet_json).collect()));
            return;
        }
        for outlet in outlets {
            println!("{}  {}", outlet.id, outlet.name);
            if !outlet.aliases.is_empty() {
                println!("  also: {}", outlet.aliases.join(", "));
            }
            if !outlet.domains.is_empty() {
                println!("  domains: {}", outlet.domains.join(", "));
            }
        }
    }

    pub fn quote_registered(&self, response: &pb::RegisterQuoteResponse) {
        let Some(quote) = &response.quote else {
            return;
        };
        if self.json {
            print_json(&json!({ "quote": quote_json(quote), "created": response.created }));
        } else {
            println!(
                "{}",
                if response.created {
                    "registered"
                } else {
                    "already registered"
                }
            );
            print_quote(quote);
        }
    }

    pub fn quote(&self, quote: Option<&pb::Quote>) {
        let Some(quote) = quote else {
            return;
        };
        if self.json {
            print_json(&quote_json(quote));
        } else {
            print_quote(quote);
        }
    }

    pub fn quote_list(&self, quotes: &[pb::Quote]) {
        if self.json {
            print_json(&Value::Array(quotes.iter().map(quote_json).collect()));
            return;
        }
        for quote in quotes {
            let credit = quote
                .attributions
                .first()
                .map(credit_line)
                .unwrap_or_default();
            let mark = if quote.retracted { " [retracted]" } else { "" };
            println!(
                "{}  {}{mark}\n    “{}”",
                quote.content_hash,
                credit,
                shorten(&quote.text, 100)
            );
        }
    }

    pub fn import_summary(&self, file: &str, summary: &ImportSummary) {
        if self.json {
            let rejected: Vec<Value> = summary
                .rejected
                .iter()
                .map(|r| json!({ "line": r.line, "code": r.code, "reason": r.reason }))
                .collect();
            print_json(&json!({
                "file": file,
                "outlets": { "created": summary.outlets_created, "updated": summary.outlets_updated },
                "quotes": { "created": summary.quotes_created, "existing": summary.quotes_existing, "retracted": summary.quotes_retracted },
                "rejected": rejected,
            }));
            return;
        }
        let retracted = if summary.quotes_retracted > 0 {
            format!(", {} retracted", summary.quotes_retracted)
        } else {
            String::new()
        };
        println!(
            "imported {file}: outlets {} new, {} updated; quotes {} new, {} already registered{retracted}; {} rejected",
            summary.outlets_created,
            summary.outlets_updated,
            summary.quotes_created,
            summary.quotes_existing,
            summary.rejected.len()
        );
        for rejected in &summary.rejected {
            println!(
                "  line {}: {}: {}",
                rejected.line, rejected.code, rejected.reason
            );
        }
    }
}
