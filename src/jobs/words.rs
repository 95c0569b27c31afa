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
use crate::aggregate::KeyedTable;
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

    fn framing(&self) -> super::Framing {
        super::args::record_framing(self.records)
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
