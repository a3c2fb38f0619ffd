//! `verbatim key …` and `verbatim audit` through a server, with an admin key. Given `--store`,
//! `main.rs` runs them against the store instead (the CLI never touches a store).

use std::time::Duration;

use anyhow::bail;

use super::KeyCommand;
use super::client::{self, Connection, Credentials};
use super::render::Output;
use crate::proto::v1 as pb;

/// Runs a `verbatim key` subcommand.
pub async fn key(
    server: &str,
    timeout: Duration,
    credentials: &Credentials,
    command: KeyCommand,
    out: &Output,
) -> anyhow::Result<()> {
    match command {
        KeyCommand::Add { store: Some(_), .. }
        | KeyCommand::List { store: Some(_) }
        | KeyCommand::Revoke { store: Some(_), .. } => {
            bail!("`key … --store` runs in main, against the store")
        }
        KeyCommand::Add {
            role,
            name,
            store: None,
        } => {
            let role = match crate::record::Role::parse(&role) {
                Some(crate::record::Role::Reader) => pb::Role::Reader,
                Some(crate::record::Role::Editor) => pb::Role::Editor,
                Some(crate::record::Role::Admin) => pb::Role::Admin,
                None => bail!("role {role:?}: use reader, editor or admin"),
            };
            let mut connection = Connection::open(server, timeout, credentials).await?;
            let response = connection
                .registry
                .create_api_key(pb::CreateApiKeyRequest {
                    name,
                    role: role as i32,
                })
                .await
                .map_err(client::describe)?
                .into_inner();
            let key = response.key.unwrap_or_default();
            out.key_created(&key, &response.secret);
        }
        KeyCommand::List { store: None } => {
            let mut connection = Connection::open(server, timeout, credentials).await?;
            let response = connection
                .registry
                .list_api_keys(pb::ListApiKeysRequest {})
                .await
                .map_err(client::describe)?
                .into_inner();
            out.keys(&response.keys);
        }
        KeyCommand::Revoke { name, store: None } => {
            let mut connection = Connection::open(server, timeout, credentials).await?;
            connection
                .registry
                .revoke_api_key(pb::RevokeApiKeyRequest { name: name.clone() })
                .await
                .map_err(client::describe)?;
            eprintln!("key {name:?} revoked");
        }
    }
    Ok(())
}

/// Runs `verbatim audit`.
pub async fn audit(
    server: &str,
    timeout: Duration,
    credentials: &Credentials,
    since: Option<String>,
    store: Option<String>,
    out: &Output,
) -> anyhow::Result<()> {
    let since = since.as_deref().map(client::parse_time).transpose()?;
    if store.is_some() {
        bail!("`audit --store` runs in main, against the store");
    }
    let mut connection = Connection::open(server, timeout, credentials).await?;
    let mut page_token = String::new();
    loop {
        let response = connection
            .registry
            .list_audit_events(pb::ListAuditEventsRequest {
                since,
                page_size: 1_000,
                page_token,
            })
            .await
            .map_err(client::describe)?
            .into_inner();
        out.audit_events(&response.events);
        if response.next_page_token.is_empty() {
            return Ok(());
        }
        page_token = response.next_page_token;
    }
}
