//! Group commit for single registrations: `RegisterQuote` calls that arrive while a commit is
//! under way queue for the next one and share its transaction. Concurrent callers then pay for
//! one trip through the store's single writer between them instead of one each, which is what
//! kept registrations waiting behind one another under load.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tonic::Status;

use super::status::{self, ApiError};
use crate::record::{Actor, NewQuote, Registration};
use crate::store::{Store, StoreError};

/// Registrations committed together at most.
const MAX_GROUP: usize = 256;
/// Registrations waiting for a commit at most; beyond that, callers wait to join the queue.
const QUEUE_DEPTH: usize = 1_024;

/// What a caller gets back: its quotation and what became of it.
pub type Committed = Result<(NewQuote, Registration), Status>;

/// One registration waiting for a commit.
struct Job {
    quote: NewQuote,
    actor: Actor,
    reply: oneshot::Sender<Committed>,
}

/// The queue in front of the store's writer; see the module docs.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl GroupCommit {
    /// Starts the committing task over `store`; it ends once every handle is dropped and the
    /// queue is empty.
    pub fn start<S: Store>(store: Arc<S>) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(commit_queued(store, queue));
        GroupCommit { jobs }
    }

    /// Registers `quote` on behalf of `actor`, in the next commit. A caller that gives up waiting
    /// does not take its registration back: it may still be committed (registering again is
    /// idempotent).
    pub async fn register(&self, quote: NewQuote, actor: Actor) -> Committed {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                quote,
                actor,
                reply,
            })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> Status {
    status::shutting_down()
}

fn internal(message: String) -> Status {
    ApiError::Internal(message).into()
}

async fn commit_queued<S: Store>(store: Arc<S>, mut queue: mpsc::Receiver<Job>) {
    // The audit trail records one actor per transaction, so a group holds one caller's key; a
    // job of another key starts the next group.
    let mut held: Option<Job> = None;
    loop {
        let first = match held.take() {
            Some(job) => job,
            None => match queue.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) if job.actor == group[0].actor => group.push(job),
                Ok(job) => {
                    held = Some(job);
                    break;
                }
                Err(_) => break,
            }
        }
        commit(&*store, group).await;
    }
}

/// Commits `group` (one actor) in one transaction and answers every caller.
async fn commit<S: Store>(store: &S, group: Vec<Job>) {
    let actor = group[0].actor.clone();
    let (quotes, replies): (Vec<NewQuote>, Vec<oneshot::Sender<Committed>>) =
        group.into_iter().map(|job| (job.quote, job.reply)).unzip();
    match store.register_quotes(&quotes, &actor).await {
        Ok(outcomes) if outcomes.len() == quotes.len() => {
            for ((quote, reply), outcome) in quotes.into_iter().zip(replies).zip(outcomes) {
                let _ = reply.send(Ok((quote, outcome)));
            }
        }
        Ok(outcomes) => {
            let status = internal(format!(
                "the store answered {} registrations for {}",
                outcomes.len(),
                quotes.len()
            ));
            for reply in replies {
                let _ = reply.send(Err(status.clone()));
            }
        }
        // An error that may belong to one item alone must not fail the others: each is tried in
        // a transaction of its own. A full or unreachable store fails them all alike, at once.
        Err(error)
            if quotes.len() > 1
                && !matches!(error, StoreError::Full(_) | StoreError::Unavailable(_)) =>
        {
            for (quote, reply) in quotes.into_iter().zip(replies) {
                let alone = store
                    .register_quotes(std::slice::from_ref(&quote), &actor)
                    .await;
                let answer = match alone {
                    Ok(mut outcomes) if outcomes.len() == 1 => Ok((quote, outcomes.remove(0))),
                    Ok(outcomes) => Err(internal(format!(
                        "the store answered {} registrations for 1",
                        outcomes.len()
                    ))),
                    Err(error) => Err(Status::from(error)),
                };
                let _ = reply.send(answer);
            }
        }
        Err(error) => {
            let status = Status::from(error);
            for reply in replies {
                let _ = reply.send(Err(status.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Attribution;
    use crate::store::SqliteStore;
    use crate::text::{CanonicalText, CanonicalVersion, ContentHash};

    fn quote(text: &str) -> NewQuote {
        let canonical = CanonicalText::of(text);
        NewQuote {
            hash: ContentHash::of_canonical(CanonicalVersion::V1, &canonical),
            text: text.to_owned(),
            canonical_text: canonical.into_string(),
            attribution: Attribution {
                speaker: "Ada Lovelace".to_owned(),
                speaker_aliases: Vec::new(),
                outlet_id: String::new(),
                source_url: String::new(),
                published_at: None,
                registered_at: 0,
            },
        }
    }

    #[tokio::test]
    async fn concurrent_registrations_share_commits_and_each_gets_its_own_outcome() {
        let store = Arc::new(
            SqliteStore::open("sqlite::memory:")
                .await
                .expect("an in-memory store"),
        );
        let commits = GroupCommit::start(Arc::clone(&store));
        let texts: Vec<String> = (0..300)
            .map(|i| format!("Number {i} of the words we registered together, once."))
            .collect();
        let mut calls = Vec::new();
        // Every text twice, from two keys: one of each pair is Created, the other Existing.
        for (i, text) in texts.iter().chain(texts.iter()).enumerate() {
            let commits = commits.clone();
            let actor = Actor::key(if i % 2 == 0 { "desk" } else { "importer" });
            let quote = quote(text);
            calls.push(tokio::spawn(
                async move { commits.register(quote, actor).await },
            ));
        }
        let mut created = std::collections::HashMap::new();
        for call in calls {
            let (quote, outcome) = call.await.expect("no panic").expect("registered");
            if outcome == Registration::Created {
                *created.entry(quote.text).or_insert(0) += 1;
            }
        }
        assert_eq!(created.len(), texts.len(), "every text was created");
        assert!(created.values().all(|&n| n == 1), "none was created twice");
        let stored = store
            .list_quotes(&Default::default(), 0, 1_000)
            .await
            .expect("list");
        assert_eq!(stored.len(), texts.len());
    }
}
