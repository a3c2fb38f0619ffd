//! Canonical form version 1: the typography-free text a content hash is computed over.
//!
//! The canonical text is the text's canonical words (see [`crate::text::words`]) joined by single
//! spaces. `docs/canonical-form.md` is the normative description; `tests/vectors/canonical-v1.json`
//! holds the vectors any re-implementation must reproduce.

use std::fmt;

use super::words::for_each_word;

/// The canonical-form versions this build implements.
pub const SUPPORTED_VERSIONS: &[u32] = &[CanonicalVersion::V1.number()];

/// A version of the canonical form. Hashes of different versions never collide, because the
/// version tag is part of the hashed bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CanonicalVersion {
    /// NFKC, lowercase, UAX #29 words, invisible characters and punctuation dropped.
    V1,
}

impl CanonicalVersion {
    /// The version in force for new registrations.
    pub const CURRENT: CanonicalVersion = CanonicalVersion::V1;

    /// The version's number as it appears in the API and the hash tag.
    pub const fn number(self) -> u32 {
        match self {
            CanonicalVersion::V1 => 1,
        }
    }

    /// The bytes hashed before the canonical text, ending in a line feed.
    pub const fn hash_tag(self) -> &'static str {
        match self {
            CanonicalVersion::V1 => "verbatim-canonical-v1\n",
        }
    }

    /// Looks a version up by number.
    ///
    /// # Errors
    /// [`UnknownVersion`] for a number this build does not implement.
    pub fn from_number(number: u32) -> Result<Self, UnknownVersion> {
        match number {
            1 => Ok(CanonicalVersion::V1),
            other => Err(UnknownVersion(other)),
        }
    }
}

/// A canonical-form version this build does not implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("canonical form version {0} is unknown; supported: 1")]
pub struct UnknownVersion(pub u32);

/// Text in canonical form: lowercase words separated by single spaces.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CanonicalText(String);

impl CanonicalText {
    /// Computes the version-1 canonical form of `text`.
    pub fn of(text: &str) -> Self {
        let mut out = String::with_capacity(text.len());
        for_each_word(text, |word, _| {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        });
        CanonicalText(out)
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the text had no word at all (only punctuation, symbols or whitespace).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many words the canonical text has.
    pub fn word_count(&self) -> usize {
        if self.0.is_empty() {
            0
        } else {
            self.0.split(' ').count()
        }
    }

    /// Consumes it into the underlying string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for CanonicalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for CanonicalText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typography_does_not_matter() {
        let a = CanonicalText::of("“We will not back down,” she said — and meant it…");
        let b = CanonicalText::of("\"we WILL not back-down\" she said, and meant it...");
        assert_eq!(a, b, "a hyphen splits words, so `back-down` is `back down`");
        assert_eq!(a.as_str(), "we will not back down she said and meant it");
    }

    #[test]
    fn lowercasing_that_denormalizes_stays_idempotent() {
        // Found by the `canonical` fuzz target: `İ` lowercases to i + U+0307, which then sits
        // before a mark of lower combining class.
        let found = "e\u{130}\u{321}\u{1a}\0\0\u{c}\0\0\0\0";
        let once = CanonicalText::of(found);
        assert_eq!(CanonicalText::of(once.as_str()), once);
        assert_eq!(once.as_str(), "ei\u{321}\u{307}");
        // Found next: a modifier apostrophe carrying accents, which go with it.
        for (found, canonical) in [
            ("\u{2bc}\u{301}\u{301}`\0\u{130}a", "i\u{307}a"),
            ("a\u{2bc}\u{301}", "a"),
            ("\u{2bc}\u{301}a", "a"),
            // Third: `ʼ` joins `e'` to `1`, and `'` would not.
            (
                "\0\0_\u{2147}'_,[\u{2147}'_\u{2147}'\u{2bc}\u{bc}",
                "_e e _e 1\u{2044}4",
            ),
        ] {
            let once = CanonicalText::of(found);
            assert_eq!(once.as_str(), canonical, "{found:?}");
            assert_eq!(CanonicalText::of(once.as_str()), once);
        }
    }

    #[test]
    fn punctuation_only_text_is_empty() {
        assert!(CanonicalText::of(" … — !!! ").is_empty());
        assert_eq!(CanonicalText::of("").word_count(), 0);
        assert_eq!(CanonicalText::of("a b c").word_count(), 3);
    }

    #[test]
    fn unknown_versions_are_refused_by_number() {
        assert_eq!(CanonicalVersion::from_number(1), Ok(CanonicalVersion::V1));
        assert_eq!(
            CanonicalVersion::from_number(7).unwrap_err().to_string(),
            "canonical form version 7 is unknown; supported: 1"
        );
    }
}
