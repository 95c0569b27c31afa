//! Word frequencies. By default a word is a maximal run of bytes that are not ASCII whitespace
//! (space, `\t`, `\n`, `\v`, `\f`, `\r`), lowercased in ASCII: the definition of Ben Hoyt's
//! countwords benchmark and of `wc -w` in the C locale. Bytes that are not UTF-8 are kept as
//! they are. With `unicode`, words are runs of Unicode alphanumeric characters, lowercased by
//! Unicode rules; invalid UTF-8 separates words.

use super::{Chunk, Mapper};
use crate::aggregate::KeyedTable;

/// Counts of each word.
pub type WordCounts = KeyedTable<u64>;

/// The `words` job's mapper.
#[derive(Debug, Clone, Copy, Default)]
pub struct WordsMapper {
    /// Split at Unicode non-alphanumerics and lowercase by Unicode rules.
    pub unicode: bool,
}

const SPACE: u8 = 1;
const UPPER: u8 = 2;

/// Byte classes: which bytes separate words and which need lowercasing.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b' ' as usize] = SPACE;
    t[b'\t' as usize] = SPACE;
    t[b'\n' as usize] = SPACE;
    t[0x0b] = SPACE;
    t[0x0c] = SPACE;
    t[b'\r' as usize] = SPACE;
    let mut c = b'A';
    while c <= b'Z' {
        t[c as usize] = UPPER;
        c += 1;
    }
    t
};

/// Longest word lowercased on the stack; longer ones use a heap buffer reused per chunk.
const STACK_WORD: usize = 64;

impl Mapper for WordsMapper {
    type Partial = WordCounts;

    fn map(&self, chunk: Chunk<'_>, counts: &mut WordCounts) {
        if self.unicode {
            count_unicode(chunk.data, counts);
        } else {
            count_ascii(chunk.data, counts);
        }
    }
}

fn count_ascii(data: &[u8], counts: &mut WordCounts) {
    let mut long = Vec::new();
    let mut i = 0;
    let n = data.len();
    while i < n {
        while i < n && CLASS[data[i] as usize] == SPACE {
            i += 1;
        }
        let start = i;
        let mut classes = 0u8;
        while i < n {
            let c = CLASS[data[i] as usize];
            if c == SPACE {
                break;
            }
            classes |= c;
            i += 1;
        }
        if start == i {
            break;
        }
        let word = &data[start..i];
        if classes & UPPER == 0 {
            *counts.entry(word) += 1;
        } else if word.len() <= STACK_WORD {
            let mut buf = [0u8; STACK_WORD];
            let lower = &mut buf[..word.len()];
            lower.copy_from_slice(word);
            lower.make_ascii_lowercase();
            *counts.entry(lower) += 1;
        } else {
            long.clear();
            long.extend_from_slice(word);
            long.make_ascii_lowercase();
            *counts.entry(&long) += 1;
        }
    }
}

fn count_unicode(data: &[u8], counts: &mut WordCounts) {
    use bstr::ByteSlice;
    // The word lowercased char by char, reused for every word.
    let mut lower = String::new();
    // Start of the current word in `data`, and whether it holds a capital sigma.
    let mut start = None;
    let mut sigma = false;
    let mut flush = |lower: &mut String, from: Option<usize>, to: usize, sigma: bool| {
        let Some(from) = from else { return };
        // Char-by-char lowercasing is exact except for one context-dependent rule: a capital
        // sigma ending a word becomes final sigma. `str::to_lowercase` applies it; it
        // allocates, so only for the rare words with a capital sigma.
        if sigma {
            let word = String::from_utf8_lossy(&data[from..to]);
            *counts.entry(word.to_lowercase().as_bytes()) += 1;
        } else {
            *counts.entry(lower.as_bytes()) += 1;
        }
        lower.clear();
    };
    for (s, _, ch) in data.char_indices() {
        if ch.is_alphanumeric() {
            if start.is_none() {
                start = Some(s);
                sigma = false;
            }
            sigma |= ch == '\u{03A3}';
            lower.extend(ch.to_lowercase());
        } else {
            flush(&mut lower, start.take(), s, sigma);
        }
    }
    flush(&mut lower, start.take(), data.len(), sigma);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::sorted_entries;

    fn count(text: &[u8], unicode: bool) -> Vec<(Vec<u8>, u64)> {
        let mut t = WordCounts::default();
        WordsMapper { unicode }.map(Chunk::whole(0, text), &mut t);
        sorted_entries(&t)
    }

    fn pairs(v: &[(&str, u64)]) -> Vec<(Vec<u8>, u64)> {
        v.iter().map(|(k, c)| (k.as_bytes().to_vec(), *c)).collect()
    }

    #[test]
    fn ascii_whitespace_including_vertical_tab_separates() {
        assert_eq!(
            count(b"The the\x0bTHE\tcat\r\ncat\x0c \n", false),
            pairs(&[("cat", 2), ("the", 3)])
        );
    }

    #[test]
    fn punctuation_and_invalid_utf8_stay_in_words() {
        let got = count(b"Don't \x97stop\x97 don't", false);
        assert_eq!(
            got,
            vec![(b"don't".to_vec(), 2), (b"\x97stop\x97".to_vec(), 1)]
        );
    }

    #[test]
    fn long_words_are_lowercased_too() {
        let w = "AB".repeat(100);
        let text = format!("{w} {}", w.to_lowercase());
        assert_eq!(
            count(text.as_bytes(), false),
            vec![(w.to_lowercase().into_bytes(), 2)]
        );
    }

    #[test]
    fn unicode_mode_splits_on_non_alphanumerics() {
        assert_eq!(
            count("Éclair, ÉCLAIR! don't 42x\u{2014}straße".as_bytes(), true),
            pairs(&[
                ("42x", 1),
                ("don", 1),
                ("straße", 1),
                ("t", 1),
                ("éclair", 2)
            ])
        );
    }

    #[test]
    fn unicode_mode_knows_final_sigma() {
        assert_eq!(
            count("ΟΔΟΣ οδος Οδος ΣΟΣ".as_bytes(), true),
            pairs(&[("οδος", 3), ("σος", 1)])
        );
    }

    #[test]
    fn unicode_mode_treats_invalid_bytes_as_separators() {
        assert_eq!(count(b"ab\xffcd", true), pairs(&[("ab", 1), ("cd", 1)]));
    }
}
