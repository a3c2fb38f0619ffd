//! Who the register credits for each quotation, as the checker needs it for attribution: speaker
//! names and aliases, and outlets by id (their names follow every update of the outlet).

use std::collections::HashMap;

use crate::record::{Attribution, Outlet, speaker_key};
use crate::text::attribution::{Source, SourceKind};

/// One registered source of a quotation: an index into [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SourceRef {
    Speaker(u32),
    Outlet(u32),
}

/// The sources of one quotation; nearly every quotation has one, kept without a heap
/// allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SourceList {
    One(SourceRef),
    Many(Box<[SourceRef]>),
}

impl SourceList {
    /// A list of `refs`, which hold no duplicates.
    pub fn of(refs: Vec<SourceRef>) -> Self {
        match refs.as_slice() {
            [one] => SourceList::One(*one),
            _ => SourceList::Many(refs.into_boxed_slice()),
        }
    }

    pub fn as_slice(&self) -> &[SourceRef] {
        match self {
            SourceList::One(one) => std::slice::from_ref(one),
            SourceList::Many(many) => many,
        }
    }

    /// Adds the sources of `refs` not yet in the list.
    pub fn extend(&mut self, refs: &[SourceRef]) {
        if refs.iter().all(|r| self.as_slice().contains(r)) {
            return;
        }
        let mut all = self.as_slice().to_vec();
        for r in refs {
            if !all.contains(r) {
                all.push(*r);
            }
        }
        *self = SourceList::of(all);
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        match self {
            SourceList::One(_) => 0,
            SourceList::Many(many) => many.len() * size_of::<SourceRef>(),
        }
    }
}

#[derive(Debug, Default)]
struct Names {
    name: String,
    aliases: Vec<String>,
}

/// Every speaker and outlet named by the register, each stored once.
#[derive(Debug, Default)]
pub(super) struct Sources {
    speakers: Vec<Names>,
    speaker_ids: HashMap<String, u32>,
    /// Speakers by their name as written, for names met before.
    speaker_names: HashMap<String, u32>,
    /// Outlets by interned id; the names are empty until the outlet itself is known.
    outlets: Vec<(String, Names)>,
    outlet_ids: HashMap<String, u32>,
}

impl Sources {
    /// The sources `attribution` credits, interned; a speaker's aliases accumulate over every
    /// attribution that names them.
    pub fn intern(&mut self, attribution: &Attribution) -> Vec<SourceRef> {
        let mut refs = Vec::with_capacity(2);
        if !attribution.speaker.trim().is_empty() {
            // A name seen before as written skips making its key: a register of millions names
            // the same speakers over and over.
            let id = match self.speaker_names.get(&attribution.speaker) {
                Some(&id) => id,
                None => {
                    let key = speaker_key(&attribution.speaker);
                    let next =
                        u32::try_from(self.speakers.len()).expect("fewer than 4 billion speakers");
                    let id = *self.speaker_ids.entry(key).or_insert_with(|| {
                        self.speakers.push(Names {
                            name: attribution.speaker.clone(),
                            aliases: Vec::new(),
                        });
                        next
                    });
                    self.speaker_names.insert(attribution.speaker.clone(), id);
                    id
                }
            };
            let names = &mut self.speakers[id as usize];
            for alias in &attribution.speaker_aliases {
                if !names.aliases.contains(alias) {
                    names.aliases.push(alias.clone());
                }
            }
            refs.push(SourceRef::Speaker(id));
        }
        if !attribution.outlet_id.is_empty() {
            refs.push(SourceRef::Outlet(self.outlet(&attribution.outlet_id)));
        }
        refs
    }

    fn outlet(&mut self, id: &str) -> u32 {
        if let Some(&index) = self.outlet_ids.get(id) {
            return index;
        }
        let index = u32::try_from(self.outlets.len()).expect("fewer than 4 billion outlets");
        self.outlets.push((id.to_owned(), Names::default()));
        self.outlet_ids.insert(id.to_owned(), index);
        index
    }

    /// Records an outlet's current names.
    pub fn upsert_outlet(&mut self, outlet: &Outlet) {
        let index = self.outlet(&outlet.id);
        self.outlets[index as usize].1 = Names {
            name: outlet.name.clone(),
            aliases: outlet.aliases.clone(),
        };
    }

    /// The sources behind `refs`, with their names, for attribution.
    pub fn expected(&self, refs: &[SourceRef]) -> Vec<Source> {
        refs.iter()
            .map(|r| match *r {
                SourceRef::Speaker(id) => {
                    let names = &self.speakers[id as usize];
                    Source {
                        kind: SourceKind::Speaker,
                        name: names.name.clone(),
                        aliases: names.aliases.clone(),
                    }
                }
                SourceRef::Outlet(id) => {
                    let (outlet_id, names) = &self.outlets[id as usize];
                    Source {
                        kind: SourceKind::Outlet,
                        // An outlet not (yet) known by name is matched by its id at least.
                        name: if names.name.is_empty() {
                            outlet_id.replace('-', " ")
                        } else {
                            names.name.clone()
                        },
                        aliases: names.aliases.clone(),
                    }
                }
            })
            .collect()
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        let names = |n: &Names| n.name.len() + n.aliases.iter().map(String::len).sum::<usize>();
        self.speakers.iter().map(names).sum::<usize>()
            + self.speakers.capacity() * size_of::<Names>()
            + (self.speaker_ids.capacity() + self.speaker_names.capacity())
                * (size_of::<String>() + 4)
            + self.speaker_names.keys().map(String::len).sum::<usize>()
            + self
                .outlets
                .iter()
                .map(|(id, n)| id.len() + names(n))
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speakers_are_stored_once_and_outlets_follow_renames() {
        let mut sources = Sources::default();
        let first = sources.intern(&Attribution::to_speaker("Zabihullah Mujahid", &[]));
        let again = sources.intern(&Attribution::to_speaker(
            "zabihullah  mujahid",
            &["Taliban spokesman"],
        ));
        assert_eq!(first, again);
        let expected = sources.expected(&first);
        assert_eq!(expected[0].name, "Zabihullah Mujahid");
        assert_eq!(expected[0].aliases, ["Taliban spokesman"]);

        let outlet = sources.intern(&Attribution::to_outlet("express-tribune"));
        assert_eq!(sources.expected(&outlet)[0].name, "express tribune");
        sources.upsert_outlet(&Outlet {
            id: "express-tribune".to_owned(),
            name: "The Express Tribune".to_owned(),
            aliases: vec!["Express Tribune".to_owned()],
            domains: Vec::new(),
        });
        assert_eq!(sources.expected(&outlet)[0].name, "The Express Tribune");
    }
}
