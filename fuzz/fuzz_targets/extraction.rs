//! Quotation extraction on any text: never panics, and every span it reports lies inside the
//! text on character boundaries, in order, with each piece inside its quotation's marks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verbatim::text::quotes::extract;

fuzz_target!(|text: &str| {
    let found = extract(text);
    let mut previous_start = 0;
    for (index, quotation) in found.iter().enumerate() {
        let outer = &quotation.outer;
        assert!(outer.start < outer.end && outer.end <= text.len());
        assert!(text.is_char_boundary(outer.start) && text.is_char_boundary(outer.end));
        assert!(outer.start >= previous_start, "quotations out of order");
        previous_start = outer.start;
        assert!(!quotation.pieces.is_empty());
        let mut piece_end = outer.start;
        for piece in &quotation.pieces {
            assert!(piece.start < piece.end, "empty piece {piece:?}");
            assert!(piece.start >= piece_end && piece.end <= outer.end);
            assert!(text.is_char_boundary(piece.start) && text.is_char_boundary(piece.end));
            piece_end = piece.end;
        }
        if let Some(parent) = quotation.parent {
            assert!(
                parent < index,
                "a parent comes before the quotation nested in it"
            );
            let parent = &found[parent].outer;
            assert!(parent.start <= outer.start && outer.end <= parent.end);
        }
        let _ = quotation.text(text);
    }
});
