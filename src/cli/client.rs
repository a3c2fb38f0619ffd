//! Connecting to a server, and turning statuses into messages a person can act on.

use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use prost_types::Timestamp;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic_health::pb::health_client::HealthClient;

use crate::proto::v1::{checker_client::CheckerClient, registry_client::RegistryClient};

/// Largest response the CLI accepts: a full page of the longest quotes fits with room to spare.
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything that proves who the client is: its API key and, for TLS, the CA it trusts and its
/// own certificate (mutual TLS).
#[derive(Clone)]
pub struct Credentials {
    pub key: ApiKey,
    pub tls: Option<ClientTlsConfig>,
}

impl Credentials {
    /// The API key (`--api-key-file` or VERBATIM_API_KEY) and the TLS files named by the flags.
    ///
    /// # Errors
    /// When a file cannot be read, or a client certificate comes without its key.
    pub fn load(
        key_file: Option<&std::path::Path>,
        tls_ca: Option<&std::path::Path>,
        tls_cert: Option<&std::path::Path>,
        tls_key: Option<&std::path::Path>,
    ) -> anyhow::Result<Self> {
        let read = |flag: &str, path: &std::path::Path| {
            std::fs::read(path).with_context(|| format!("{flag}: cannot read {}", path.display()))
        };
        let tls = match (tls_ca, tls_cert, tls_key) {
            (None, None, None) => None,
            (ca, cert, key) => {
                let mut config = ClientTlsConfig::new();
                if let Some(ca) = ca {
                    config = config.ca_certificate(Certificate::from_pem(read("--tls-ca", ca)?));
                }
                match (cert, key) {
                    (Some(cert), Some(key)) => {
                        config = config.identity(Identity::from_pem(
                            read("--tls-client-cert", cert)?,
                            read("--tls-client-key", key)?,
                        ));
                    }
                    (None, None) => {}
                    _ => bail!("--tls-client-cert and --tls-client-key go together"),
                }
                Some(config)
            }
        };
        Ok(Credentials {
            key: ApiKey::load(key_file)?,
            tls,
        })
    }
}

/// Adds `authorization: Bearer KEY` to every call when a key is configured.
#[derive(Clone)]
pub struct ApiKey(Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>);

impl tonic::service::Interceptor for ApiKey {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

impl ApiKey {
    /// The key from `file`, else from VERBATIM_API_KEY, else none.
    ///
    /// # Errors
    /// When the file cannot be read or the key is not printable ASCII.
    pub fn load(file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let key = match file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the API key file {}", path.display()))?
                    .trim()
                    .to_owned(),
            ),
            None => std::env::var("VERBATIM_API_KEY")
                .ok()
                .map(|k| k.trim().to_owned()),
        };
        let Some(key) = key.filter(|k| !k.is_empty()) else {
            return Ok(ApiKey(None));
        };
        let value = format!("Bearer {key}")
            .parse()
            .map_err(|_| anyhow!("the API key is not printable ASCII"))?;
        Ok(ApiKey(Some(value)))
    }
}

type Authorized = tonic::service::interceptor::InterceptedService<Channel, ApiKey>;

/// Clients of every service, over one channel.
pub struct Connection {
    pub registry: RegistryClient<Authorized>,
    pub checker: CheckerClient<Authorized>,
    pub health: HealthClient<Channel>,
}

impl Connection {
    /// Connects to `server` (`http://HOST:PORT`, or `HOST:PORT`).
    ///
    /// # Errors
    /// When the address is malformed or nothing answers there.
    pub async fn open(
        server: &str,
        timeout: Duration,
        credentials: &Credentials,
    ) -> anyhow::Result<Self> {
        let scheme = if credentials.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let uri = match server.split_once("://") {
            Some(("http", rest)) if credentials.tls.is_some() => format!("https://{rest}"),
            Some(_) => server.to_owned(),
            None => format!("{scheme}://{server}"),
        };
        let mut endpoint = Endpoint::from_shared(uri.clone())
            .with_context(|| format!("{server:?} is not a server address (use HOST:PORT)"))?
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(timeout);
        match &credentials.tls {
            Some(tls) => endpoint = endpoint.tls_config(tls.clone())?,
            None if uri.starts_with("https://") => bail!(
                "{uri} is a TLS address: pass --tls-ca FILE, the CA that signed the server's \
                 certificate"
            ),
            None => {}
        }
        let key = credentials.key.clone();
        let channel = endpoint.connect().await.map_err(|e| {
            anyhow!("cannot reach the Verbatim server at {uri}: {e} (is `verbatim serve` running? --server / VERBATIM_SERVER select another)")
        })?;
        Ok(Connection {
            registry: RegistryClient::with_interceptor(channel.clone(), key.clone())
                .max_decoding_message_size(MAX_RESPONSE_BYTES),
            checker: CheckerClient::with_interceptor(channel.clone(), key)
                .max_decoding_message_size(MAX_RESPONSE_BYTES)
                .max_encoding_message_size(MAX_RESPONSE_BYTES),
            health: HealthClient::new(channel),
        })
    }
}

/// A status as one line: its code's name, then the server's message.
pub fn describe(status: tonic::Status) -> anyhow::Error {
    // Raised by the client's transport rather than sent by the server: say what to check.
    let transport_failed = matches!(status.code(), tonic::Code::Unknown | tonic::Code::Cancelled)
        && matches!(
            status.message(),
            "transport error" | "operation was canceled"
        );
    if transport_failed {
        return anyhow!(
            "{}: {}: the connection failed. For a TLS server pass --tls-ca (the CA that signed \
             its certificate); if it asks for mutual TLS, --tls-client-cert and --tls-client-key \
             too; a plaintext server takes an http:// address",
            crate::proto::code_name(status.code()),
            status.message()
        );
    }
    anyhow!(
        "{}: {}",
        crate::proto::code_name(status.code()),
        status.message()
    )
}

/// Parses RFC 3339 (`2024-01-29T10:00:00Z`) or a bare date (`2024-01-29`, taken as midnight UTC).
///
/// # Errors
/// When the value is neither.
pub fn parse_time(value: &str) -> anyhow::Result<Timestamp> {
    use time::{
        Date, OffsetDateTime, format_description::well_known::Rfc3339, macros::format_description,
    };
    let instant = OffsetDateTime::parse(value, &Rfc3339).or_else(|_| {
        Date::parse(value, format_description!("[year]-[month]-[day]"))
            .map(|date| date.midnight().assume_utc())
    });
    let instant = instant.map_err(|_| {
        anyhow!(
            "{value:?} is not a time: use RFC 3339 (2024-01-29T10:00:00Z) or a date (2024-01-29)"
        )
    })?;
    Ok(Timestamp {
        seconds: instant.unix_timestamp(),
        nanos: i32::try_from(instant.nanosecond()).expect("nanoseconds fit in i32"),
    })
}

/// Writes a timestamp as RFC 3339 in UTC.
pub fn format_time(ts: &Timestamp) -> String {
    use time::{OffsetDateTime, format_description::well_known::Rfc3339};
    let nanos = i128::from(ts.seconds) * 1_000_000_000 + i128::from(ts.nanos);
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{}s", ts.seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_rfc3339_or_dates() {
        let date = parse_time("2024-01-29").expect("a date");
        assert_eq!(date.seconds, 1_706_486_400);
        let full = parse_time("2024-01-29T10:00:00.5+01:00").expect("rfc 3339");
        assert_eq!(full.seconds, 1_706_486_400 + 9 * 3600);
        assert_eq!(full.nanos, 500_000_000);
        assert_eq!(format_time(&date), "2024-01-29T00:00:00Z");
        assert!(parse_time("29/01/2024").is_err());
    }
}
