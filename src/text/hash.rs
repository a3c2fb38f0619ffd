//! Content hashes: SHA-256 over a version tag and the canonical form, written
//! `sha256:` followed by 64 lowercase hexadecimal digits.

use std::{fmt, str::FromStr};

use sha2::{Digest as _, Sha256};

use super::canonical::{CanonicalText, CanonicalVersion};

/// The SHA-256 content hash of a quotation's canonical form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash([u8; 32]);

/// The prefix every written content hash starts with.
pub const HASH_PREFIX: &str = "sha256:";

impl ContentHash {
    /// Hashes canonical text under the given version's tag.
    pub fn of_canonical(version: CanonicalVersion, canonical: &CanonicalText) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(version.hash_tag().as_bytes());
        hasher.update(canonical.as_str().as_bytes());
        ContentHash(hasher.finalize().into())
    }

    /// Canonicalizes `text` with the current version and hashes it.
    pub fn of_text(text: &str) -> Self {
        Self::of_canonical(CanonicalVersion::CURRENT, &CanonicalText::of(text))
    }

    /// Wraps raw digest bytes, as stored.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ContentHash(bytes)
    }

    /// The raw digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Why a string is not a content hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashParseError {
    /// The `sha256:` prefix is missing.
    #[error("must start with `sha256:` followed by 64 hexadecimal digits")]
    MissingPrefix,
    /// The digest is not 64 hexadecimal digits.
    #[error(
        "must be `sha256:` followed by exactly 64 hexadecimal digits; found {0} characters after the prefix"
    )]
    WrongLength(usize),
    /// A character of the digest is not hexadecimal.
    #[error("`{0}` is not a hexadecimal digit")]
    NotHex(char),
}

impl FromStr for ContentHash {
    type Err = HashParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = s
            .strip_prefix(HASH_PREFIX)
            .ok_or(HashParseError::MissingPrefix)?;
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(HashParseError::WrongLength(hex.chars().count()));
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
            *byte = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
        }
        Ok(ContentHash(bytes))
    }
}

fn hex_value(digit: u8) -> Result<u8, HashParseError> {
    match digit {
        b'0'..=b'9' => Ok(digit - b'0'),
        b'a'..=b'f' => Ok(digit - b'a' + 10),
        b'A'..=b'F' => Ok(digit - b'A' + 10),
        other => Err(HashParseError::NotHex(other as char)),
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(HASH_PREFIX)?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_form_round_trips() {
        let hash = ContentHash::of_text("We will not back down.");
        let written = hash.to_string();
        assert!(written.starts_with("sha256:"));
        assert_eq!(written.len(), 7 + 64);
        assert_eq!(written.parse::<ContentHash>(), Ok(hash));
        assert_eq!(
            written
                .to_uppercase()
                .replace("SHA256", "sha256")
                .parse::<ContentHash>(),
            Ok(hash)
        );
    }

    #[test]
    fn malformed_hashes_say_what_is_wrong() {
        assert_eq!(
            "abc".parse::<ContentHash>(),
            Err(HashParseError::MissingPrefix)
        );
        assert_eq!(
            "sha256:abc".parse::<ContentHash>(),
            Err(HashParseError::WrongLength(3))
        );
        let bad = format!("sha256:{}", "g".repeat(64));
        assert_eq!(bad.parse::<ContentHash>(), Err(HashParseError::NotHex('g')));
        let multibyte = format!("sha256:{}", "é".repeat(32));
        assert_eq!(
            multibyte.parse::<ContentHash>(),
            Err(HashParseError::WrongLength(32))
        );
    }

    #[test]
    fn the_version_tag_is_hashed() {
        // SHA-256 of the tag alone: the hash of a text without words.
        let empty = ContentHash::of_canonical(CanonicalVersion::V1, &CanonicalText::of(""));
        let mut hasher = Sha256::new();
        hasher.update(b"verbatim-canonical-v1\n");
        assert_eq!(empty.as_bytes()[..], hasher.finalize()[..]);
    }
}

#[cfg(test)]
mod vectors {
    //! The published test vectors and the properties the canonical form promises.
    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    struct VectorFile {
        version: u32,
        hash_tag: String,
        vectors: Vec<Vector>,
    }

    #[derive(Deserialize)]
    struct Vector {
        name: String,
        input: String,
        canonical: String,
        hash: String,
    }

    #[test]
    fn the_published_vectors_hold() {
        let file: VectorFile =
            serde_json::from_str(include_str!("../../tests/vectors/canonical-v1.json"))
                .expect("the vectors file is valid JSON");
        assert_eq!(file.version, 1);
        assert_eq!(file.hash_tag, CanonicalVersion::V1.hash_tag());
        assert!(
            file.vectors.len() >= 30,
            "the spec promises at least 30 vectors"
        );
        for vector in &file.vectors {
            let canonical = CanonicalText::of(&vector.input);
            assert_eq!(
                canonical.as_str(),
                vector.canonical,
                "vector {:?}",
                vector.name
            );
            let hash = ContentHash::of_canonical(CanonicalVersion::V1, &canonical);
            assert_eq!(hash.to_string(), vector.hash, "vector {:?}", vector.name);
        }
    }

    #[test]
    fn unicode_tables_are_the_versions_the_spec_names() {
        // A dependency update that changes these may change hashes of newly assigned
        // characters: the spec (docs/canonical-form.md) must be updated with it.
        assert_eq!(unicode_segmentation::UNICODE_VERSION, (17, 0, 0));
        assert_eq!(unicode_normalization::UNICODE_VERSION, (18, 0, 0));
    }

    /// One way of writing a word that only changes its typography.
    fn restyle(word: &str, style: u8) -> String {
        match style % 6 {
            0 => word.to_owned(),
            1 => word.to_uppercase(),
            2 => {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
            3 => format!("“{word}”"),
            4 => {
                // A zero-width space or soft hyphen inside the word.
                let mid = word.len() / 2;
                format!("{}\u{200B}{}", &word[..mid], &word[mid..])
            }
            _ => word.replace("fi", "ﬁ"),
        }
    }

    const SEPARATORS: &[&str] = &[
        " ", "  ", "\n", "\t", ", ", " — ", "… ", "; ", " (", ") ", "\u{00A0}",
    ];

    proptest! {
        #[test]
        fn typography_never_changes_the_hash(
            words in proptest::collection::vec("[a-z]{1,8}", 1..12),
            styles in proptest::collection::vec(any::<u8>(), 12),
            separators in proptest::collection::vec(0..SEPARATORS.len(), 12),
        ) {
            let plain = words.join(" ");
            let mut styled = String::new();
            for (i, word) in words.iter().enumerate() {
                if i > 0 {
                    styled.push_str(SEPARATORS[separators[i]]);
                }
                styled.push_str(&restyle(word, styles[i]));
            }
            styled.push('.');
            prop_assert_eq!(ContentHash::of_text(&plain), ContentHash::of_text(&styled), "{:?}", styled);
        }

        #[test]
        fn changing_any_word_changes_the_hash(
            words in proptest::collection::vec("[a-z]{1,8}", 1..12),
            position in any::<prop::sample::Index>(),
            replacement in "[a-z]{1,8}",
        ) {
            let i = position.index(words.len());
            prop_assume!(words[i] != replacement);
            let mut changed = words.clone();
            changed[i] = replacement;
            prop_assert_ne!(ContentHash::of_text(&words.join(" ")), ContentHash::of_text(&changed.join(" ")));
        }

        #[test]
        fn canonical_form_is_idempotent(text in any::<String>()) {
            let once = CanonicalText::of(&text);
            prop_assert_eq!(CanonicalText::of(once.as_str()), once);
        }
    }
}
