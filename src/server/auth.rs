//! API keys on every call: which role each RPC needs, the keys this server accepts (kept in
//! step with the store's change feed, so a revocation applies at once), and the tower layer that
//! refuses a call before it reaches a service. Health and reflection need no key.

use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::{Arc, RwLock},
    task::{Context, Poll},
};

use sha2::{Digest as _, Sha256};

use super::status;
use crate::record::{Actor, ApiKey, Role};

/// The role an RPC needs, or `None` for the open services (health, reflection).
pub fn required_role(path: &str) -> Option<Role> {
    if path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.") {
        return None;
    }
    Some(match path {
        "/verbatim.v1.Registry/CreateApiKey"
        | "/verbatim.v1.Registry/ListApiKeys"
        | "/verbatim.v1.Registry/RevokeApiKey"
        | "/verbatim.v1.Registry/ListAuditEvents" => Role::Admin,
        "/verbatim.v1.Registry/RegisterOutlet"
        | "/verbatim.v1.Registry/RegisterQuote"
        | "/verbatim.v1.Registry/RegisterQuotes"
        | "/verbatim.v1.Registry/RetractQuote" => Role::Editor,
        path if path.starts_with("/verbatim.v1.Checker/")
            || path.starts_with("/verbatim.v1.Registry/") =>
        {
            Role::Reader
        }
        // Anything else (a service added later) needs the most.
        _ => Role::Admin,
    })
}

/// Who made the call `request`, for the audit trail.
pub fn actor_of<T>(request: &tonic::Request<T>) -> Actor {
    match request.extensions().get::<Caller>() {
        Some(caller) => Actor::key(&caller.key_name),
        None => Actor::anonymous(),
    }
}

/// SHA-256 of a key's text: what the store keeps.
pub fn key_hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// A new key: `vbk_` and 64 hex digits of randomness from the operating system.
///
/// # Errors
/// When `/dev/urandom` cannot be read.
pub fn new_key_secret() -> std::io::Result<String> {
    use std::io::Read as _;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(format!(
        "vbk_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// What is wrong with a key name, if anything. Names are what `[a-z0-9][a-z0-9._-]{0,63}`
/// allows, so they print and log safely.
pub fn key_name_problem(name: &str) -> Option<String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    (!valid).then(|| {
        format!(
            "key name {name:?}: use 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or \
             digit"
        )
    })
}

/// Equality whose time does not depend on where the inputs differ.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[derive(Debug, Clone)]
struct Holder {
    name: String,
    role: Role,
    hash: [u8; 32],
    revoked: bool,
}

/// Every key the register holds, by hash.
#[derive(Debug, Default)]
pub struct KeyRing {
    keys: RwLock<HashMap<[u8; 32], Holder>>,
}

/// Whom a call comes from, once authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub key_name: String,
    pub role: Role,
}

impl KeyRing {
    /// A ring holding `keys`.
    pub fn new(keys: Vec<ApiKey>) -> Self {
        let ring = KeyRing::default();
        for key in keys {
            ring.apply(&key);
        }
        ring
    }

    /// Adds or updates a key (a revocation arrives as the key with `revoked_at` set).
    pub fn apply(&self, key: &ApiKey) {
        self.keys
            .write()
            .expect("the key lock is never poisoned")
            .insert(
                key.key_hash,
                Holder {
                    name: key.name.clone(),
                    role: key.role,
                    hash: key.key_hash,
                    revoked: key.revoked_at.is_some(),
                },
            );
    }

    /// True once any key was ever added: from then on every call needs one.
    pub fn enforcing(&self) -> bool {
        !self
            .keys
            .read()
            .expect("the key lock is never poisoned")
            .is_empty()
    }

    /// Decides a call to `path` carrying `authorization`; the error is the status to answer.
    pub fn admit(
        &self,
        path: &str,
        authorization: Option<&http::HeaderValue>,
    ) -> Result<Option<Caller>, tonic::Status> {
        let Some(needed) = required_role(path) else {
            return Ok(None);
        };
        if !self.enforcing() {
            return Ok(None);
        }
        let token = authorization
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(status::unauthenticated)?;
        let hash = key_hash(token);
        let keys = self.keys.read().expect("the key lock is never poisoned");
        let holder = keys
            .get(&hash)
            .filter(|h| constant_time_eq(&h.hash, &hash) && !h.revoked)
            .ok_or_else(status::unauthenticated)?;
        if holder.role < needed {
            return Err(status::permission_denied(needed.name(), holder.role.name()));
        }
        Ok(Some(Caller {
            key_name: holder.name.clone(),
            role: holder.role,
        }))
    }
}

/// The tower layer that admits or refuses every call.
#[derive(Clone)]
pub struct AuthLayer {
    ring: Arc<KeyRing>,
}

impl AuthLayer {
    pub fn new(ring: Arc<KeyRing>) -> Self {
        AuthLayer { ring }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Auth<S> {
        Auth {
            inner,
            ring: Arc::clone(&self.ring),
        }
    }
}

/// See [`AuthLayer`].
#[derive(Clone)]
pub struct Auth<S> {
    inner: S,
    ring: Arc<KeyRing>,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B> tower::Service<http::Request<B>> for Auth<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        match self.ring.admit(
            request.uri().path(),
            request.headers().get(http::header::AUTHORIZATION),
        ) {
            Ok(caller) => {
                // The request's span (see `observe.rs`) names who called.
                let key = caller.as_ref().map_or("none", |c| c.key_name.as_str());
                tracing::Span::current().record("key", tracing::field::display(key));
                if let Some(caller) = caller {
                    request.extensions_mut().insert(caller);
                }
                Box::pin(self.inner.call(request))
            }
            Err(refused) => {
                let response = refused.into_http();
                Box::pin(async move { Ok(response) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_random_and_names_are_checked() {
        let (a, b) = (
            new_key_secret().expect("a key"),
            new_key_secret().expect("a key"),
        );
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 64);
        assert!(key_name_problem("cms-prod.1").is_none());
        for bad in ["", "Upper", "-lead", "with space", &"x".repeat(65)] {
            assert!(key_name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn key_management_and_the_audit_trail_need_admin() {
        for rpc in [
            "CreateApiKey",
            "ListApiKeys",
            "RevokeApiKey",
            "ListAuditEvents",
        ] {
            assert_eq!(
                required_role(&format!("/verbatim.v1.Registry/{rpc}")),
                Some(Role::Admin)
            );
        }
    }

    fn key(name: &str, role: Role, secret: &str) -> ApiKey {
        ApiKey {
            name: name.into(),
            role,
            key_hash: key_hash(secret),
            created_at: 0,
            revoked_at: None,
        }
    }

    fn bearer(secret: &str) -> http::HeaderValue {
        http::HeaderValue::from_str(&format!("Bearer {secret}")).expect("ASCII")
    }

    #[test]
    fn roles_admit_what_they_include_and_nothing_else() {
        let ring = KeyRing::new(vec![
            key("reader", Role::Reader, "r-secret"),
            key("editor", Role::Editor, "e-secret"),
        ]);
        let check = "/verbatim.v1.Checker/CheckText";
        let register = "/verbatim.v1.Registry/RegisterQuote";
        assert!(ring.admit(check, Some(&bearer("r-secret"))).is_ok());
        let denied = ring
            .admit(register, Some(&bearer("r-secret")))
            .expect_err("a reader cannot register");
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
        assert!(denied.message().contains("editor"), "{}", denied.message());
        assert!(ring.admit(register, Some(&bearer("e-secret"))).is_ok());
        for header in [None, Some(bearer("wrong")), Some(bearer(""))] {
            let refused = ring
                .admit(check, header.as_ref())
                .expect_err("no valid key");
            assert_eq!(refused.code(), tonic::Code::Unauthenticated);
            assert!(!refused.message().contains("wrong"));
        }
        assert!(ring.admit("/grpc.health.v1.Health/Check", None).is_ok());
    }

    #[test]
    fn a_revoked_key_is_refused_and_no_keys_means_open() {
        let ring = KeyRing::default();
        assert!(
            ring.admit("/verbatim.v1.Registry/RegisterQuote", None)
                .is_ok()
        );
        let mut editor = key("editor", Role::Editor, "e-secret");
        ring.apply(&editor);
        editor.revoked_at = Some(1);
        ring.apply(&editor);
        let refused = ring
            .admit("/verbatim.v1.Checker/CheckText", Some(&bearer("e-secret")))
            .expect_err("revoked");
        assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    }
}
