//! The register's records as the rest of the program sees them, independent of the wire format
//! and of the storage engine. Values here are already validated (see `server::convert`).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::text::ContentHash;

/// A point in time as microseconds since the Unix epoch (UTC), the precision the store keeps.
pub type Micros = i64;

/// The current time in [`Micros`].
pub fn now_micros() -> Micros {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970");
    i64::try_from(since_epoch.as_micros()).expect("microseconds since 1970 fit in i64 until 294247")
}

/// An outlet that publishes quotations and can be credited for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outlet {
    /// Slug, `[a-z0-9][a-z0-9-]{0,63}`.
    pub id: String,
    /// Name as the outlet prints it.
    pub name: String,
    /// Other names the press uses.
    pub aliases: Vec<String>,
    /// Lowercase web domains.
    pub domains: Vec<String>,
}

/// Who is credited with a quotation, and where it appeared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The speaker's name, or empty when only an outlet is credited.
    pub speaker: String,
    /// Other names of the speaker.
    pub speaker_aliases: Vec<String>,
    /// The crediting outlet's id, or empty when only a speaker is credited.
    pub outlet_id: String,
    /// Where the words were published, or empty.
    pub source_url: String,
    /// When the words were published.
    pub published_at: Option<Micros>,
    /// When the attribution entered the register (set by the store).
    pub registered_at: Micros,
}

impl Attribution {
    /// An attribution to a speaker alone.
    pub fn to_speaker(speaker: &str, aliases: &[&str]) -> Self {
        Attribution {
            speaker: speaker.to_owned(),
            speaker_aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            outlet_id: String::new(),
            source_url: String::new(),
            published_at: None,
            registered_at: 0,
        }
    }

    /// An attribution to an outlet alone.
    pub fn to_outlet(outlet_id: &str) -> Self {
        Attribution {
            outlet_id: outlet_id.to_owned(),
            ..Attribution::to_speaker("", &[])
        }
    }

    /// The key that decides whether two attributions are the same: the speaker compared without
    /// case or spacing differences, and the outlet id.
    pub fn identity(&self) -> (String, &str) {
        (speaker_key(&self.speaker), &self.outlet_id)
    }
}

/// Why and when a quote was retracted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retraction {
    /// The reason given.
    pub reason: String,
    /// When it was retracted.
    pub at: Micros,
}

/// A registered quotation with all its attributions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// Position in registration order; pagination cursors are built on it.
    pub seq: i64,
    /// Content hash of the canonical text.
    pub hash: ContentHash,
    /// The words as first registered.
    pub text: String,
    /// Their canonical form.
    pub canonical_text: String,
    /// Everyone credited, in registration order.
    pub attributions: Vec<Attribution>,
    /// Set once retracted.
    pub retraction: Option<Retraction>,
    /// When the words first entered the register.
    pub registered_at: Micros,
}

/// What the in-memory index keeps of a registered quotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// Everyone credited, in registration order, with only what attribution compares the text
    /// with: speaker, aliases and outlet (source URL and times are left empty, which keeps
    /// loading a register of millions quick).
    pub attributions: Vec<Attribution>,
    /// Position in registration order.
    pub seq: i64,
    /// Content hash.
    pub hash: ContentHash,
    /// The words as first registered.
    pub text: String,
    /// True once retracted.
    pub retracted: bool,
}

/// What an API key may do; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Check texts, read quotes and outlets.
    Reader,
    /// Also register and retract quotes and register outlets.
    Editor,
    /// Also manage keys.
    Admin,
}

impl Role {
    /// The role's name as stored and shown ("reader", "editor", "admin").
    pub fn name(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// The role named `name`.
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "reader" => Some(Role::Reader),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Who made a change, as the audit trail records it: `key:NAME` for a call with an API key,
/// `anonymous` for a call to a server running without keys, `local:COMMAND` for a command run
/// against the store itself (`verbatim key add --store …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    /// A call authenticated by the key named `name`.
    pub fn key(name: &str) -> Self {
        Actor(format!("key:{name}"))
    }

    /// A call to a server that has no keys (loopback only, or `--insecure`).
    pub fn anonymous() -> Self {
        Actor("anonymous".to_owned())
    }

    /// A command run straight against the store, by whoever can open it.
    pub fn local(command: &str) -> Self {
        Actor(format!("local:{command}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an audit event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// New words entered the register.
    QuoteRegistered,
    /// Registered words gained another speaker or outlet.
    AttributionAdded,
    QuoteRetracted,
    OutletCreated,
    OutletUpdated,
    KeyAdded,
    KeyRevoked,
}

impl AuditAction {
    /// The action's name as stored and shown ("quote.registered").
    pub fn name(self) -> &'static str {
        match self {
            AuditAction::QuoteRegistered => "quote.registered",
            AuditAction::AttributionAdded => "attribution.added",
            AuditAction::QuoteRetracted => "quote.retracted",
            AuditAction::OutletCreated => "outlet.created",
            AuditAction::OutletUpdated => "outlet.updated",
            AuditAction::KeyAdded => "key.added",
            AuditAction::KeyRevoked => "key.revoked",
        }
    }

    /// The action named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [
            AuditAction::QuoteRegistered,
            AuditAction::AttributionAdded,
            AuditAction::QuoteRetracted,
            AuditAction::OutletCreated,
            AuditAction::OutletUpdated,
            AuditAction::KeyAdded,
            AuditAction::KeyRevoked,
        ]
        .into_iter()
        .find(|action| action.name() == name)
    }
}

/// One entry of the append-only audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Position in the change feed (the trail and the feed are one table).
    pub seq: i64,
    pub at: Micros,
    /// Who: an [`Actor`]'s text; `None` for changes recorded before the audit trail existed.
    pub actor: Option<String>,
    /// What; `None` for changes recorded before the audit trail existed.
    pub action: Option<AuditAction>,
    /// What it touched: the quote's content hash (`sha256-v1:…`), the outlet id or the key name.
    pub subject: String,
    /// The credit registered, the retraction's reason, the key's role.
    pub detail: String,
}

/// An API key as the store keeps it: never the key itself, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Who or what holds it ("cms-prod"); unique.
    pub name: String,
    pub role: Role,
    /// SHA-256 of the key's text.
    pub key_hash: [u8; 32],
    pub created_at: Micros,
    /// Set once revoked; a revoked key authenticates nothing.
    pub revoked_at: Option<Micros>,
}

/// One entry of the change feed: what a replica must apply to stay in step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Position in the feed; strictly increasing in commit order.
    pub seq: i64,
    /// What changed.
    pub what: Changed,
}

/// The current state of what a [`Change`] touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// A quote gained words, an attribution or a retraction: its whole current index entry.
    Quote(IndexEntry),
    /// An outlet was created or updated.
    Outlet(Outlet),
    /// An API key was added or revoked.
    Key(ApiKey),
}

/// A quotation to register, already canonicalized and hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuote {
    /// Content hash of `canonical_text`.
    pub hash: ContentHash,
    /// The words as given.
    pub text: String,
    /// Their canonical form.
    pub canonical_text: String,
    /// The attribution this registration asserts (`registered_at` is ignored).
    pub attribution: Attribution,
}

/// What registering one [`NewQuote`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// The words were new, or they gained a new attribution.
    Created,
    /// The register already held exactly this.
    Existing,
    /// The attribution names an outlet that is not registered; nothing was written.
    UnknownOutlet,
}

/// Which quotes a listing returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuoteFilter {
    /// Only quotes credited to this outlet.
    pub outlet_id: Option<String>,
    /// Only quotes credited to this speaker (compared by [`speaker_key`]).
    pub speaker: Option<String>,
}

/// A speaker's name reduced for comparison: lowercase, surrounding whitespace trimmed and inner
/// runs of whitespace collapsed to one space.
pub fn speaker_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaker_keys_ignore_case_and_spacing() {
        assert_eq!(speaker_key("  Zabihullah   MUJAHID "), "zabihullah mujahid");
        assert_eq!(speaker_key(""), "");
    }
}
