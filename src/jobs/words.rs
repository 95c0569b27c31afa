//! Word frequencies. By default a word is a maximal run of bytes that are not ASCII whitespace
//! (space, `\t`, `\n`, `\v`, `\f`, `\r`), lowercased in ASCII: the definition of Ben Hoyt's
//! countwords benchmark and of `wc -w` in the C locale. Bytes that are not UTF-8 are kept as
//! they are. With `unicode`, words are the UAX #29 word segments that hold a letter or digit
//! (`don't` is one word; a combining mark stays with its letter), lowercased by Unicode rules
//! and written in NFC, so composed and decomposed spellings are one word; invalid UTF-8
//! separates words.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::{
    write_counts, Chunk, InputList, Job, Keyed, Mapper, Meta, OutputArgs, Parsed, RecordArgs,
    RejectArgs, TableAccess,
};
use crate::aggregate::{KeyedTable, ShortKey};
use crate::emit::EmitOptions;
use crate::error::Result;
use crate::exit::Outcome;
use crate::spill::Rows;

/// Flags of `logmill words`.
#[derive(Debug, Args)]
pub struct WordsArgs {
    /// Unicode words, lowercased, in NFC.
    ///
    /// Words are Unicode words (UAX #29 segments holding a letter or digit: `don't` is one
    /// word), lowercased by Unicode rules and written in NFC; invalid UTF-8 separates words.
    #[arg(long)]
    pub unicode: bool,

    /// Output order and truncation.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Multi-line records (accepted for every job; words are counted the same either way).
    #[command(flatten)]
    pub records: RecordArgs,

    /// Where bad records go: records without a timestamp under the time options.
    #[command(flatten)]
    pub bad: RejectArgs,

    /// Input files; `-` or none reads stdin.
    #[arg(value_name = "FILE", help_heading = None::<&str>)]
    pub files: Vec<PathBuf>,
}

/// What defines a `words` result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordsParams {
    /// `--unicode` (written as the name of its word rules).
    #[serde(with = "unicode_param")]
    pub unicode: bool,
    /// `--records`/`--record-start`: words are counted the same, but chunks are cut between
    /// records, and time options date a record by its first line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<crate::chunk::RecordSpec>,
}

/// The `words` job.
#[derive(Debug, Clone, Copy, Default)]
pub struct Words {
    mapper: WordsMapper,
}

impl Job for Words {
    const NAME: &'static str = "words";
    const ABOUT: &'static str =
        "Count word frequencies (a word is a run of non-whitespace bytes, lowercased in ASCII)";
    const EXAMPLES: &'static str = "\
Examples:
  logmill words kjv.txt | head             the most frequent words
  logmill words --unicode --top 20 *.txt   Unicode-aware words, top 20
  zcat old.log.gz | logmill words          from a pipe, in bounded memory
  logmill words --output-format csv a.log  as CSV with a header (also json, jsonl)
  logmill words -o counts.tsv *.log        to a file, replaced only when the run succeeds";

    type Args = WordsArgs;
    type Params = WordsParams;
    type Partial = WordCounts;
    type State = u64;
    type Mapper<'j> = &'j WordsMapper;

    fn parse(args: WordsArgs) -> Result<Parsed<WordsParams>> {
        // Records change nothing in what words counts (a line end is whitespace): the rule is
        // checked, and the chunks stay cut at lines.
        super::args::record_rule(args.records.spec().as_ref())?;
        Ok(Parsed {
            params: WordsParams {
                unicode: args.unicode,
                records: args.records.spec(),
            },
            files: args.files,
            output: args.output,
            bad: args.bad,
        })
    }

    fn build(params: &WordsParams, _: &RejectArgs) -> Result<Words> {
        Ok(Words {
            mapper: WordsMapper {
                unicode: params.unicode,
                records: super::args::record_rule(params.records.as_ref())?,
            },
        })
    }

    fn mapper(&self) -> Result<&WordsMapper> {
        Ok(&self.mapper)
    }

    fn export(&self, _: &&WordsMapper, counts: WordCounts, _: &InputList) -> Result<Keyed<u64>> {
        Ok(Keyed::from(counts))
    }

    fn spill_access() -> Option<TableAccess<WordCounts, u64>> {
        Some(super::whole_table())
    }

    fn key_columns(&self) -> Vec<String> {
        vec!["word".into()]
    }

    fn count(count: &u64) -> u64 {
        *count
    }

    fn write_rows(
        &self,
        meta: Meta,
        rows: Rows<u64>,
        emit: EmitOptions,
        out: &mut dyn Write,
    ) -> Result<Outcome> {
        write_counts("word", &meta, rows, emit, out)
    }
}

/// Counts of each word.
pub type WordCounts = KeyedTable<u64>;

/// The `words` job's mapper.
#[derive(Debug, Clone, Copy, Default)]
pub struct WordsMapper {
    /// Split at Unicode non-alphanumerics and lowercase by Unicode rules.
    pub unicode: bool,
    /// Multi-line records: chunks are cut between them.
    pub records: Option<&'static crate::chunk::RecordRule>,
}

impl Mapper for WordsMapper {
    type Partial = WordCounts;

    fn map(&self, chunk: Chunk<'_>, counts: &mut WordCounts) {
        if self.unicode {
            count_unicode(chunk.data, counts);
        } else {
            count_ascii(chunk.data, counts);
        }
    }

    fn framing(&self) -> super::Framing {
        super::args::record_framing(self.records)
    }
}

/// Counts the ASCII-lowercased words of `data`. Word bounds come from a bit mask of the
/// whitespace of each 64-byte block, a few instructions per word instead of a test and a
/// branch per byte (the branch that ends a word mispredicts on nearly every word). A word of
/// at most 16 bytes with 16 bytes of `data` from its start (nearly all of them) is loaded as
/// two words, lowercased and masked in registers and counted as a [`ShortKey`]; others go
/// through a buffer.
fn count_ascii(data: &[u8], counts: &mut WordCounts) {
    let mut long = Vec::new();
    let mut start = 0;
    let mut in_word = false;
    let mut block = 0;
    while block < data.len() {
        let rest = &data[block..];
        let word_bytes = match rest.first_chunk::<64>() {
            Some(b) => !whitespace(b),
            None => rest
                .iter()
                .enumerate()
                .fold(0, |m, (i, &b)| m | (u64::from(!is_space(b)) << i)),
        };
        // Bit i: byte i differs from the byte before it in being part of a word. Bounds
        // alternate: a start, then the end after the word.
        let mut bounds = word_bytes ^ (word_bytes << 1 | u64::from(in_word));
        while bounds != 0 {
            let at = block + bounds.trailing_zeros() as usize;
            bounds &= bounds - 1;
            if in_word {
                count_word(data, start, at, counts, &mut long);
            } else {
                start = at;
            }
            in_word = !in_word;
        }
        block += 64;
    }
    if in_word {
        count_word(data, start, data.len(), counts, &mut long);
    }
}

/// Counts the word `data[start..end]`, lowercased.
#[inline(always)]
fn count_word(data: &[u8], start: usize, end: usize, counts: &mut WordCounts, long: &mut Vec<u8>) {
    let len = end - start;
    if let Some(bytes) = data[start..].first_chunk::<16>() {
        if len <= ShortKey::MAX {
            let (lo, hi) = bytes.split_at(8);
            let word = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
            let words = [
                ascii_lower(word(lo)) & ShortKey::keep(len),
                ascii_lower(word(hi)) & ShortKey::keep(len.saturating_sub(8)),
            ];
            *counts.entry_short(&ShortKey::from_padded(words, len)) += 1;
            return;
        }
    }
    long.clear();
    long.extend_from_slice(&data[start..end]);
    long.make_ascii_lowercase();
    *counts.entry(long) += 1;
}

/// `x` with each of its bytes lowercased in ASCII (`A`-`Z` to `a`-`z`, every other byte kept),
/// all eight at once.
#[inline(always)]
fn ascii_lower(x: u64) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let seven = x & !HIGH;
    // A byte's high bit is set in `from_a` when its low seven bits are `A` or above, in
    // `past_z` when they are past `Z`: no carry crosses bytes (0x7f + 0x3f < 0x100).
    let from_a = seven + 0x3f3f_3f3f_3f3f_3f3f;
    let past_z = seven + 0x2525_2525_2525_2525;
    let upper = from_a & !past_z & !x & HIGH;
    x | (upper >> 2)
}

/// ASCII whitespace as `wc -w` and countwords define it: space, `\t`, `\n`, `\v`, `\f`, `\r`.
#[inline(always)]
fn is_space(b: u8) -> bool {
    b == b' ' || (b'\t'..=b'\r').contains(&b)
}

/// Bit `i` set when `block[i]` is ASCII whitespace ([`is_space`]): per 16 bytes, a compare with
/// a space and a range test of `\t`..`\r`.
#[cfg(target_arch = "x86_64")]
#[inline]
fn whitespace(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_sub_epi8,
    };
    let p = block.as_ptr().cast::<__m128i>();
    // SAFETY: SSE2 is part of every x86_64 target; each unaligned load reads 16 bytes at
    // 16 * i, i < 4, inside the 64 bytes of `block`.
    unsafe {
        let space = _mm_set1_epi8(b' ' as i8);
        let tab = _mm_set1_epi8(b'\t' as i8);
        let span = _mm_set1_epi8((b'\r' - b'\t') as i8);
        let m = |i: usize| {
            let v = _mm_loadu_si128(p.add(i));
            // `\t`..=`\r`: v - `\t` (wrapping) is at most 4, i.e. min(v - `\t`, 4) == v - `\t`.
            let off = _mm_sub_epi8(v, tab);
            let ctrl = _mm_cmpeq_epi8(_mm_min_epu8(off, span), off);
            let ws = _mm_or_si128(_mm_cmpeq_epi8(v, space), ctrl);
            u64::from(_mm_movemask_epi8(ws) as u16)
        };
        m(0) | m(1) << 16 | m(2) << 32 | m(3) << 48
    }
}

/// Bit `i` set when `block[i]` is ASCII whitespace ([`is_space`]).
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn whitespace(block: &[u8; 64]) -> u64 {
    let mut mask = 0u64;
    for (i, &b) in block.iter().enumerate() {
        mask |= u64::from(is_space(b)) << i;
    }
    mask
}

/// The version of the `--unicode` word rules, written in partial headers (see
/// [`unicode_param`]): partials counted by other rules hold other words and must not merge.
pub const UNICODE_RULES: &str = "uax29-nfc";

/// Serde of the `unicode` parameter of `words`: `false`, or the name of the word rules
/// ([`UNICODE_RULES`]). `true` is what logmill wrote before words were UAX #29 segments in NFC.
pub mod unicode_param {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    use super::UNICODE_RULES;

    /// Writes `false`, or the rules' name for `true`.
    pub fn serialize<S: Serializer>(unicode: &bool, s: S) -> Result<S::Ok, S::Error> {
        if *unicode {
            s.serialize_str(UNICODE_RULES)
        } else {
            s.serialize_bool(false)
        }
    }

    /// Reads what [`serialize`] writes; refuses older `--unicode` partials.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Value {
            Bool(bool),
            Rules(String),
        }
        match Value::deserialize(d)? {
            Value::Bool(false) => Ok(false),
            Value::Rules(r) if r == UNICODE_RULES => Ok(true),
            Value::Bool(true) => Err(D::Error::custom(
                "a `words --unicode` partial of an older logmill, whose words were runs of \
                 alphanumerics (not UAX #29 words in NFC): count its input again",
            )),
            Value::Rules(r) => Err(D::Error::custom(format!(
                "`words --unicode` word rules {r:?}; this logmill counts {UNICODE_RULES:?}"
            ))),
        }
    }
}

fn count_unicode(data: &[u8], counts: &mut WordCounts) {
    use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
    use unicode_segmentation::UnicodeSegmentation;
    // The word lowercased, and in NFC, reused for every word.
    let mut lower = String::new();
    let mut nfc = String::new();
    for run in data.utf8_chunks() {
        for word in run.valid().unicode_words() {
            lower.clear();
            if word.is_ascii() {
                lower.push_str(word);
                lower.make_ascii_lowercase();
            } else if word.contains('\u{03A3}') {
                // A capital sigma ending a word lowercases to final sigma: a rule of context
                // that `str::to_lowercase` applies and char-by-char lowercasing does not.
                lower.push_str(&word.to_lowercase());
            } else {
                lower.extend(word.chars().flat_map(char::to_lowercase));
            }
            if lower.is_ascii() || is_nfc_quick(lower.chars()) == IsNormalized::Yes {
                *counts.entry(lower.as_bytes()) += 1;
            } else {
                nfc.clear();
                nfc.extend(lower.nfc());
                *counts.entry(nfc.as_bytes()) += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::sorted_entries;

    fn count(text: &[u8], unicode: bool) -> Vec<(Vec<u8>, u64)> {
        let mut t = WordCounts::default();
        WordsMapper {
            unicode,
            records: None,
        }.map(Chunk::whole(0, text), &mut t);
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

    /// The words of `text` by the definition, one byte at a time.
    fn naive(text: &[u8]) -> Vec<(Vec<u8>, u64)> {
        let mut counts = std::collections::BTreeMap::<Vec<u8>, u64>::new();
        for w in text.split(|&b| is_space(b)).filter(|w| !w.is_empty()) {
            *counts.entry(w.to_ascii_lowercase()).or_default() += 1;
        }
        counts.into_iter().collect()
    }

    #[test]
    fn whitespace_masks_and_lowercasing_agree_with_the_byte_rules() {
        for b in 0..=255u8 {
            assert_eq!(is_space(b), b.is_ascii_whitespace() || b == 0x0b, "{b:#x}");
            let block = [b; 64];
            assert_eq!(whitespace(&block), if is_space(b) { u64::MAX } else { 0 }, "{b:#x}");
            for at in 0..8 {
                let mut bytes = *b"zA@[`{\x80\xc1";
                bytes[at] = b;
                let want = u64::from_le_bytes(bytes.map(|c| c.to_ascii_lowercase()));
                assert_eq!(ascii_lower(u64::from_le_bytes(bytes)), want, "{b:#x} at {at}");
            }
        }
    }

    #[test]
    fn words_of_every_length_at_every_offset_are_counted() {
        let mut text = Vec::new();
        for len in 1..=80usize {
            let word: Vec<u8> = (0..len).map(|i| b"xYz"[(i + len) % 3]).collect();
            text.extend_from_slice(&word);
            text.extend_from_slice(&b" \n\t\r\x0b\x0c"[..1 + len % 6]);
        }
        // Under Miri (which checks the SSE2 block) a few offsets are enough.
        let offsets = if cfg!(miri) { 0..3 } else { 0..70 };
        for offset in offsets {
            for end in [text.len(), text.len() - 1, text.len() - 3] {
                let slice = &text[offset..end];
                assert_eq!(count(slice, false), naive(slice), "{offset}..{end}");
            }
        }
    }

    proptest::proptest! {
        /// Words of every length across 64-byte blocks and the end of the data, lowercase
        /// and not, any whitespace, bytes past ASCII: the same counts as the definition.
        #[test]
        fn ascii_words_are_the_definitions_words(
            text in proptest::collection::vec(
                proptest::prop_oneof![
                    4 => proptest::sample::select(b"aAzZ@[`{b".to_vec()),
                    2 => proptest::sample::select(b" \t\n\x0b\x0c\r".to_vec()),
                    1 => proptest::prelude::any::<u8>(),
                ],
                0..300,
            ),
            offset in 0usize..64,
        ) {
            let text = &text[offset.min(text.len())..];
            proptest::prop_assert_eq!(count(text, false), naive(text));
        }
    }

    #[test]
    fn unicode_mode_words_are_uax29_segments() {
        assert_eq!(
            count(
                "Éclair, ÉCLAIR! don't 42x\u{2014}straße 3.14 -- ...".as_bytes(),
                true
            ),
            pairs(&[
                ("3.14", 1),
                ("42x", 1),
                ("don't", 1),
                ("straße", 1),
                ("éclair", 2)
            ])
        );
    }

    #[test]
    fn unicode_mode_keeps_marks_and_writes_nfc() {
        assert_eq!(
            count(
                "cafe\u{301} caf\u{e9} CAFE\u{301} Cafe\u{300}".as_bytes(),
                true
            ),
            pairs(&[("caf\u{e8}", 1), ("caf\u{e9}", 3)])
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
