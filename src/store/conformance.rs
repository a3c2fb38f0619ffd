//! One suite of behaviour every [`Store`] backend must show, run by each backend's tests.

use super::Store;
use crate::record::{
    Actor, ApiKey, Attribution, AuditAction, Changed, NewQuote, Outlet, QuoteFilter, Registration,
    Role,
};
use crate::text::{CanonicalText, CanonicalVersion, ContentHash};

/// Runs every check against a store that starts empty.
pub async fn run_all<S: Store>(store: &S) {
    outlets_are_created_updated_and_listed(store).await;
    registration_is_idempotent_and_merges_attributions(store).await;
    unknown_outlets_write_nothing(store).await;
    a_batch_sees_its_own_earlier_items(store).await;
    listing_pages_in_registration_order_with_filters(store).await;
    retraction_keeps_the_quote_and_the_first_reason(store).await;
    index_entries_list_every_quote_once(store).await;
    the_change_feed_follows_every_write(store).await;
    keys_are_added_once_listed_and_revoked_on_the_feed(store).await;
    the_audit_trail_names_who_did_what(store).await;
    store.ping().await.expect("the store answers a ping");
}

fn editor() -> Actor {
    Actor::key("newsroom-editor")
}

fn admin() -> Actor {
    Actor::key("ops-admin")
}

fn outlet(id: &str, name: &str) -> Outlet {
    Outlet {
        id: id.into(),
        name: name.into(),
        aliases: vec![format!("the {name}")],
        domains: vec![format!("{id}.example")],
    }
}

fn new_quote(text: &str, speaker: &str, outlet_id: &str) -> NewQuote {
    let canonical = CanonicalText::of(text);
    NewQuote {
        hash: ContentHash::of_canonical(CanonicalVersion::V1, &canonical),
        text: text.into(),
        canonical_text: canonical.into_string(),
        attribution: Attribution {
            speaker: speaker.into(),
            speaker_aliases: vec!["the spokesman".into()],
            outlet_id: outlet_id.into(),
            source_url: "https://example.com/story".into(),
            published_at: Some(1_700_000_000_000_000),
            registered_at: 0,
        },
    }
}

async fn register<S: Store>(store: &S, quote: &NewQuote) -> Registration {
    let outcomes = store
        .register_quotes(std::slice::from_ref(quote), &editor())
        .await
        .expect("registration succeeds");
    assert_eq!(outcomes.len(), 1);
    outcomes[0]
}

async fn outlets_are_created_updated_and_listed<S: Store>(store: &S) {
    assert!(
        store
            .upsert_outlet(&outlet("alpha", "Alpha"), &editor())
            .await
            .expect("upsert")
    );
    let renamed = outlet("alpha", "Alpha Daily");
    assert!(
        !store
            .upsert_outlet(&renamed, &editor())
            .await
            .expect("upsert"),
        "an update is not a creation"
    );
    assert_eq!(store.get_outlet("alpha").await.expect("get"), Some(renamed));
    assert_eq!(store.get_outlet("missing").await.expect("get"), None);
    for id in ["delta", "beta", "gamma"] {
        store
            .upsert_outlet(&outlet(id, id), &editor())
            .await
            .expect("upsert");
    }
    let first = store.list_outlets(None, 2).await.expect("list");
    let ids: Vec<&str> = first.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["alpha", "beta"]);
    let rest = store.list_outlets(Some("beta"), 10).await.expect("list");
    let ids: Vec<&str> = rest.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["delta", "gamma"]);
}

async fn registration_is_idempotent_and_merges_attributions<S: Store>(store: &S) {
    let quote = new_quote("We will not back down.", "Jane Roe", "alpha");
    assert_eq!(register(store, &quote).await, Registration::Created);
    assert_eq!(register(store, &quote).await, Registration::Existing);

    let mut same_speaker_other_case = quote.clone();
    same_speaker_other_case.attribution.speaker = "JANE  ROE".into();
    assert_eq!(
        register(store, &same_speaker_other_case).await,
        Registration::Existing,
        "speakers compare without case or spacing"
    );

    let mut other_outlet = quote.clone();
    other_outlet.attribution.outlet_id = "beta".into();
    assert_eq!(register(store, &other_outlet).await, Registration::Created);

    let stored = store
        .get_quote(&quote.hash)
        .await
        .expect("get")
        .expect("present");
    assert_eq!(stored.text, "We will not back down.");
    assert_eq!(stored.canonical_text, "we will not back down");
    assert_eq!(stored.hash, quote.hash);
    let outlets: Vec<&str> = stored
        .attributions
        .iter()
        .map(|a| a.outlet_id.as_str())
        .collect();
    assert_eq!(
        outlets,
        ["alpha", "beta"],
        "attributions keep registration order"
    );
    let first = &stored.attributions[0];
    assert_eq!(first.speaker, "Jane Roe");
    assert_eq!(first.speaker_aliases, ["the spokesman"]);
    assert_eq!(first.source_url, "https://example.com/story");
    assert_eq!(first.published_at, Some(1_700_000_000_000_000));
    assert!(first.registered_at > 0);
    assert!(stored.retraction.is_none());

    let missing = ContentHash::of_text("words nobody registered");
    assert_eq!(store.get_quote(&missing).await.expect("get"), None);
}

async fn unknown_outlets_write_nothing<S: Store>(store: &S) {
    let quote = new_quote(
        "Words credited to a paper nobody registered.",
        "",
        "no-such-outlet",
    );
    assert_eq!(register(store, &quote).await, Registration::UnknownOutlet);
    assert_eq!(store.get_quote(&quote.hash).await.expect("get"), None);
}

async fn a_batch_sees_its_own_earlier_items<S: Store>(store: &S) {
    let first = new_quote("The batch registers this once.", "Sam Poe", "");
    let batch = vec![
        first.clone(),
        first.clone(),
        new_quote("A batch item with an unknown outlet.", "", "nowhere"),
        new_quote("The batch registers this too.", "", "gamma"),
    ];
    let outcomes = store
        .register_quotes(&batch, &editor())
        .await
        .expect("batch");
    assert_eq!(
        outcomes,
        [
            Registration::Created,
            Registration::Existing,
            Registration::UnknownOutlet,
            Registration::Created
        ]
    );
    assert!(
        store
            .register_quotes(&[], &editor())
            .await
            .expect("empty batch")
            .is_empty()
    );
}

async fn listing_pages_in_registration_order_with_filters<S: Store>(store: &S) {
    let texts: Vec<String> = (0..7)
        .map(|i| format!("Listed quotation number {i}."))
        .collect();
    for (i, text) in texts.iter().enumerate() {
        let outlet_id = if i % 2 == 0 { "delta" } else { "" };
        register(store, &new_quote(text, "Lister", outlet_id)).await;
    }
    let filter = QuoteFilter {
        speaker: Some("  lister ".into()),
        ..QuoteFilter::default()
    };
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = store.list_quotes(&filter, after, 3).await.expect("list");
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        after = page.last().expect("non-empty").seq;
        assert!(page.iter().all(|q| !q.attributions.is_empty()));
        seen.extend(page.into_iter().map(|q| q.text));
    }
    assert_eq!(seen, texts, "every quote once, in registration order");

    let by_outlet = QuoteFilter {
        outlet_id: Some("delta".into()),
        ..QuoteFilter::default()
    };
    let delta = store.list_quotes(&by_outlet, 0, 100).await.expect("list");
    assert_eq!(delta.len(), 4);
    assert!(
        delta
            .iter()
            .all(|q| q.attributions.iter().any(|a| a.outlet_id == "delta"))
    );

    let everything = store
        .list_quotes(&QuoteFilter::default(), 0, 1000)
        .await
        .expect("list");
    let seqs: Vec<i64> = everything.iter().map(|q| q.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "strictly increasing seq"
    );
}

async fn retraction_keeps_the_quote_and_the_first_reason<S: Store>(store: &S) {
    let quote = new_quote("Words that will be retracted.", "Ray Fox", "");
    register(store, &quote).await;
    let retracted = store
        .retract_quote(&quote.hash, "speaker disowned the words", 42, &editor())
        .await
        .expect("retract")
        .expect("present");
    let retraction = retracted.retraction.expect("retracted");
    assert_eq!(retraction.reason, "speaker disowned the words");
    assert_eq!(retraction.at, 42);

    let again = store
        .retract_quote(&quote.hash, "another reason", 99, &editor())
        .await
        .expect("retract")
        .expect("present");
    assert_eq!(
        again.retraction.expect("retracted").reason,
        "speaker disowned the words"
    );
    assert_eq!(register(store, &quote).await, Registration::Existing);
    let stored = store
        .get_quote(&quote.hash)
        .await
        .expect("get")
        .expect("present");
    assert!(
        stored.retraction.is_some(),
        "re-registering does not undo a retraction"
    );

    let missing = ContentHash::of_text("never registered at all");
    assert_eq!(
        store
            .retract_quote(&missing, "why", 1, &editor())
            .await
            .expect("retract"),
        None
    );
}

async fn index_entries_list_every_quote_once<S: Store>(store: &S) {
    let everything = store
        .list_quotes(&QuoteFilter::default(), 0, 10_000)
        .await
        .expect("list");
    let mut entries = Vec::new();
    let last = store.last_quote_seq().await.expect("the last seq");
    assert!(last >= everything.len() as i64);
    for after in (0..last).step_by(4) {
        let window = store
            .list_index_entries(after, after + 4)
            .await
            .expect("entries");
        assert!(window.iter().all(|e| e.seq > after && e.seq <= after + 4));
        entries.extend(window);
    }
    assert!(
        store
            .list_index_entries(last, last + 100)
            .await
            .expect("entries")
            .is_empty()
    );
    assert_eq!(entries.len(), everything.len());
    for (entry, quote) in entries.iter().zip(&everything) {
        assert_eq!(entry.hash, quote.hash);
        assert_eq!(entry.text, quote.text);
        assert_eq!(entry.retracted, quote.retraction.is_some());
        // Index entries carry who is credited, not where or when.
        let credits = |attributions: &[Attribution]| -> Vec<(String, Vec<String>, String)> {
            attributions
                .iter()
                .map(|a| {
                    (
                        a.speaker.clone(),
                        a.speaker_aliases.clone(),
                        a.outlet_id.clone(),
                    )
                })
                .collect()
        };
        assert_eq!(credits(&entry.attributions), credits(&quote.attributions));
    }
    assert!(
        entries.iter().any(|e| e.retracted),
        "the retracted quote is marked"
    );
}

async fn the_change_feed_follows_every_write<S: Store>(store: &S) {
    let mark = store.latest_change().await.expect("latest change");
    assert!(mark > 0, "earlier writes are in the feed");
    store
        .upsert_outlet(&outlet("feed", "Feed News"), &editor())
        .await
        .expect("upsert");
    let quote = new_quote("Changes reach every replica in order.", "Ada Feed", "feed");
    assert_eq!(register(store, &quote).await, Registration::Created);
    let other = new_quote("Changes reach every replica in order.", "Bo Feed", "");
    assert_eq!(register(store, &other).await, Registration::Created);
    assert_eq!(register(store, &other).await, Registration::Existing);
    store
        .retract_quote(&quote.hash, "disowned", 7, &editor())
        .await
        .expect("retract")
        .expect("the quote exists");
    store
        .retract_quote(&quote.hash, "again", 8, &editor())
        .await
        .expect("retract again");

    let changes = store.changes_since(mark, 100).await.expect("changes");
    assert_eq!(
        changes.len(),
        4,
        "outlet, words, attribution, retraction: {changes:?}"
    );
    assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(matches!(&changes[0].what, Changed::Outlet(o) if o.name == "Feed News"));
    for change in &changes[1..] {
        let Changed::Quote(entry) = &change.what else {
            panic!("a quote change: {change:?}");
        };
        assert_eq!(entry.hash, quote.hash);
        // Each change carries the current state: both attributions, retracted.
        assert_eq!(entry.attributions.len(), 2);
        assert!(entry.retracted);
    }
    let latest = store.latest_change().await.expect("latest");
    assert_eq!(latest, changes[3].seq);
    assert!(
        store
            .changes_since(latest, 100)
            .await
            .expect("none")
            .is_empty()
    );
    assert_eq!(store.changes_since(mark, 2).await.expect("a page").len(), 2);
}

async fn keys_are_added_once_listed_and_revoked_on_the_feed<S: Store>(store: &S) {
    let mark = store.latest_change().await.expect("latest change");
    let key = ApiKey {
        name: "cms-prod".into(),
        role: Role::Editor,
        key_hash: [7; 32],
        created_at: 1,
        revoked_at: None,
    };
    assert!(store.add_key(&key, &admin()).await.expect("add"));
    let same_name = ApiKey {
        key_hash: [8; 32],
        ..key.clone()
    };
    assert!(
        !store
            .add_key(&same_name, &admin())
            .await
            .expect("add again"),
        "names are unique"
    );
    assert_eq!(
        store.list_keys().await.expect("list"),
        std::slice::from_ref(&key)
    );
    assert!(
        store
            .revoke_key("cms-prod", 5, &admin())
            .await
            .expect("revoke")
    );
    assert!(
        store
            .revoke_key("cms-prod", 6, &admin())
            .await
            .expect("revoke again"),
        "still known"
    );
    assert!(
        !store
            .revoke_key("nobody", 6, &admin())
            .await
            .expect("revoke unknown")
    );
    let listed = store.list_keys().await.expect("list");
    assert_eq!(listed[0].revoked_at, Some(5));
    let changes = store.changes_since(mark, 10).await.expect("changes");
    assert_eq!(changes.len(), 2, "added, revoked: {changes:?}");
    assert!(changes.iter().all(
        |c| matches!(&c.what, Changed::Key(k) if k.name == "cms-prod" && k.revoked_at == Some(5))
    ));
}

async fn the_audit_trail_names_who_did_what<S: Store>(store: &S) {
    let mark = store.latest_change().await.expect("latest change");
    let desk = Actor::key("audit-desk");
    store
        .upsert_outlet(&outlet("ledger", "Ledger"), &desk)
        .await
        .expect("create");
    store
        .upsert_outlet(&outlet("ledger", "The Ledger"), &desk)
        .await
        .expect("update");
    let quote = new_quote("Every change has an author.", "Ann Audit", "ledger");
    store
        .register_quotes(std::slice::from_ref(&quote), &Actor::anonymous())
        .await
        .expect("register");
    let credited_again = new_quote("Every change has an author.", "Ben Audit", "");
    // Nothing new: no audit event.
    for _ in 0..2 {
        store
            .register_quotes(std::slice::from_ref(&credited_again), &desk)
            .await
            .expect("attribution");
    }
    store
        .retract_quote(&quote.hash, "misheard", 5_000, &desk)
        .await
        .expect("retract");
    let key = ApiKey {
        name: "audited-key".into(),
        role: Role::Reader,
        key_hash: [9; 32],
        created_at: 6_000,
        revoked_at: None,
    };
    store
        .add_key(&key, &Actor::local("key add"))
        .await
        .expect("add key");
    store
        .revoke_key("audited-key", 7_000, &admin())
        .await
        .expect("revoke");

    let events = store.list_audit(mark, 0, 100).await.expect("audit");
    let seen: Vec<(&str, AuditAction, &str)> = events
        .iter()
        .map(|e| {
            (
                e.actor.as_deref().expect("an actor"),
                e.action.expect("an action"),
                e.subject.as_str(),
            )
        })
        .collect();
    let hash = quote.hash.to_string();
    assert_eq!(
        seen,
        vec![
            ("key:audit-desk", AuditAction::OutletCreated, "ledger"),
            ("key:audit-desk", AuditAction::OutletUpdated, "ledger"),
            ("anonymous", AuditAction::QuoteRegistered, hash.as_str()),
            (
                "key:audit-desk",
                AuditAction::AttributionAdded,
                hash.as_str()
            ),
            ("key:audit-desk", AuditAction::QuoteRetracted, hash.as_str()),
            ("local:key add", AuditAction::KeyAdded, "audited-key"),
            ("key:ops-admin", AuditAction::KeyRevoked, "audited-key"),
        ]
    );
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(events[2].detail.contains("Ann Audit") && events[2].detail.contains("ledger"));
    assert!(events[3].detail.contains("Ben Audit"));
    assert_eq!(events[4].detail, "reason: misheard");
    assert_eq!(events[4].at, 5_000);
    assert_eq!(events[5].detail, "role: reader");

    // Paging by position, and a time filter.
    let first_two = store.list_audit(mark, 0, 2).await.expect("page");
    assert_eq!(first_two, events[..2]);
    let rest = store
        .list_audit(first_two[1].seq, 0, 100)
        .await
        .expect("next page");
    assert_eq!(rest, events[2..]);
    let late = store.list_audit(mark, 6_500, 100).await.expect("since");
    assert!(late.iter().all(|e| e.at >= 6_500));
    assert!(
        late.iter()
            .any(|e| e.action == Some(AuditAction::KeyRevoked))
    );
}
