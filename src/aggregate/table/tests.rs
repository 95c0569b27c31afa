use super::*;
use crate::aggregate::{check_laws, merge_all};
use proptest::prelude::*;

fn table(pairs: &[(&str, u64)]) -> KeyedTable<u64> {
    let mut t = KeyedTable::default();
    for (k, c) in pairs {
        *t.entry(k.as_bytes()) += c;
    }
    t
}

#[test]
fn keyed_table_laws() {
    let samples = vec![
        table(&[]),
        table(&[("a", 1), ("b", 2)]),
        table(&[("b", 5), ("c", 1), ("\u{e9}", 3)]),
        table(&[("a", 7)]),
    ];
    check_laws(&samples, sorted_entries);
}

#[test]
fn key_eq_agrees_with_slice_equality() {
    let keys: Vec<Vec<u8>> = (0..40)
        .flat_map(|n| {
            let base: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            let mut other = base.clone();
            let mut variants = vec![base.clone()];
            for i in 0..n as usize {
                other[i] ^= 1;
                variants.push(other.clone());
                other[i] ^= 1;
            }
            variants
        })
        .collect();
    for a in &keys {
        for b in &keys {
            assert_eq!(key_eq(a, b), a == b, "{a:?} {b:?}");
        }
    }
}

#[test]
fn table_survives_growth_and_serde() {
    let mut t = KeyedTable::<u64>::default();
    for i in 0..10_000u64 {
        *t.entry(&i.to_le_bytes()[..(i % 8) as usize + 1]) += i;
    }
    let manual: KeyedTable<u64> = t.iter().map(|(k, v)| (k.to_vec(), *v)).collect();
    assert_eq!(t, manual);
    let json = serde_json::to_string(&t).unwrap();
    let back: KeyedTable<u64> = serde_json::from_str(&json).unwrap();
    assert_eq!(sorted_entries(&back), sorted_entries(&t));
}

#[test]
fn vec_and_option_laws() {
    let vs: Vec<Vec<u64>> = vec![vec![], vec![1], vec![2, 3], vec![0, 0, 9]];
    check_laws(&vs, |v: &Vec<u64>| {
        let mut v = v.clone();
        while v.last() == Some(&0) {
            v.pop();
        }
        v
    });
    let os: Vec<Option<u64>> = vec![None, Some(0), Some(4)];
    check_laws(&os, |o: &Option<u64>| *o);
}

#[test]
fn merge_all_sums_everything() {
    for n in 0..9u64 {
        let parts: Vec<u64> = (1..=n).collect();
        assert_eq!(merge_all(parts), n * (n + 1) / 2);
    }
}

proptest! {
    #[test]
    fn merge_equals_counting_everything_at_once(
        a in proptest::collection::vec(0u8..6, 0..40),
        b in proptest::collection::vec(0u8..6, 0..40),
    ) {
        let count = |xs: &[u8]| {
            let mut t = KeyedTable::<u64>::default();
            for x in xs { *t.entry(&[*x]) += 1; }
            t
        };
        let mut m = count(&a);
        m.merge(count(&b));
        let all: Vec<u8> = a.iter().chain(&b).copied().collect();
        prop_assert_eq!(sorted_entries(&m), sorted_entries(&count(&all)));
    }
}

/// Keys that stress the spill sort: empty, prefixes of each other, NUL and 0xff bytes,
/// inline and heap lengths, long shared prefixes deeper than the radix sort goes.
fn key_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(
            prop_oneof![Just(0u8), Just(b'a'), Just(b'b'), Just(0xff)],
            0..26
        ),
        proptest::collection::vec(any::<u8>(), 0..40),
        (
            0usize..40,
            proptest::collection::vec(prop_oneof![Just(b'x'), Just(b'y')], 0..4)
        )
            .prop_map(|(n, tail)| {
                let mut k = vec![b'p'; n];
                k.extend(tail);
                k
            }),
    ]
}

type Drained = (Vec<(usize, Vec<u8>, u64)>, (usize, usize));

fn drained(t: &mut KeyedTable<u64>, parts: usize) -> Drained {
    let mut rows = Vec::new();
    let n = t
        .drain_sorted(
            parts,
            |k| (key_hash(k) % parts as u64) as usize,
            |p, k, c| -> Result<(), ()> {
                rows.push((p, k.to_vec(), *c));
                Ok(())
            },
        )
        .unwrap();
    assert!(t.is_empty());
    (rows, n)
}

proptest! {
    #[test]
    fn append_mode_drains_as_hash_mode_does(
        keys in proptest::collection::vec(key_strategy(), 0..400),
        parts in 1usize..6,
    ) {
        let mut hashed = KeyedTable::default();
        let mut appended = KeyedTable::default();
        appended.set_appending(true, 16);
        prop_assert!(appended.is_appending());
        for (i, k) in keys.iter().enumerate() {
            *hashed.entry(k) += i as u64 % 3 + 1;
            *appended.entry(k) += i as u64 % 3 + 1;
        }
        prop_assert_eq!(appended.len(), keys.len());
        let (want, (slots, rows)) = drained(&mut hashed, parts);
        let (got, (aslots, arows)) = drained(&mut appended, parts);
        prop_assert_eq!(&got, &want);
        prop_assert_eq!((slots, rows), (rows, want.len()));
        prop_assert_eq!((aslots, arows), (keys.len(), want.len()));
        // Partition, then key order; every key once.
        for w in got.windows(2) {
            prop_assert!((w[0].0, &w[0].1) < (w[1].0, &w[1].1));
        }
        for (p, k, _) in &got {
            prop_assert_eq!(*p, (key_hash(k) % parts as u64) as usize);
        }
        // The table is reusable after a drain, still appending.
        prop_assert!(appended.is_appending());
        *appended.entry(b"again") += 1;
        prop_assert_eq!(drained(&mut appended, 1).0, vec![(0, b"again".to_vec(), 1)]);
    }

    #[test]
    fn append_mode_merges_and_settles(
        a in proptest::collection::vec(key_strategy(), 0..200),
        b in proptest::collection::vec(key_strategy(), 0..200),
    ) {
        let mut want: std::collections::BTreeMap<Vec<u8>, u64> = Default::default();
        for k in a.iter().chain(&b) {
            *want.entry(k.clone()).or_default() += 1;
        }
        let mut x = KeyedTable::default();
        x.set_appending(true, 4);
        for k in &a {
            *x.entry(k) += 1;
        }
        let mut y = KeyedTable::default();
        for k in &b {
            *y.entry(k) += 1;
        }
        // Merging combines appended slots; leaving append mode does too.
        let mut m = x.clone();
        m.merge(y.clone());
        let mut z = x;
        z.set_appending(false, 0);
        prop_assert!(!z.is_appending());
        z.merge(y);
        for t in [m, z] {
            let got: std::collections::BTreeMap<Vec<u8>, u64> =
                drained(&mut t.clone(), 1).0.into_iter().map(|(_, k, c)| (k, c)).collect();
            prop_assert_eq!(&got, &want);
        }
    }

    #[test]
    fn radix_sort_orders_slots_by_bytes(keys in proptest::collection::vec(key_strategy(), 0..600)) {
        let mut slots: Vec<Slot<u64>> = keys
            .iter()
            .map(|k| Slot { key: SmallKey::new(k), state: 0 })
            .collect();
        sort_slots(&mut slots, 0);
        let got: Vec<&[u8]> = slots.iter().map(|s| s.key.as_bytes()).collect();
        let mut want: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
        want.sort();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn small_key_order_is_byte_order(a in key_strategy(), b in key_strategy()) {
        prop_assert_eq!(SmallKey::new(&a).cmp_bytes(&SmallKey::new(&b)), a.cmp(&b));
    }
}

#[test]
fn appending_keeps_what_the_table_held() {
    let mut t = table(&[("a", 2), ("b", 1)]);
    t.set_appending(true, 8);
    *t.entry(b"a") += 5;
    let (rows, (slots, n)) = drained(&mut t, 1);
    assert_eq!(rows, vec![(0, b"a".to_vec(), 7), (0, b"b".to_vec(), 1)]);
    assert_eq!((slots, n), (3, 2));
}

proptest! {
    /// A short key counted through its words and through its bytes lands on one slot, in
    /// hashing and in append mode; keys differing only in trailing zero bytes stay apart.
    #[test]
    fn short_keys_and_byte_keys_share_slots(
        keys in proptest::collection::vec(
            proptest::collection::vec(prop_oneof![Just(0u8), Just(b'a'), any::<u8>()], 0..20),
            1..40,
        ),
        appending in any::<bool>(),
    ) {
        let mut t = KeyedTable::<u64>::default();
        t.set_appending(appending, 0);
        let mut want = std::collections::BTreeMap::<Vec<u8>, u64>::new();
        for (i, k) in keys.iter().enumerate() {
            match ShortKey::new(k) {
                Some(short) if i % 2 == 0 => {
                    prop_assert_eq!(short.hash(), key_hash(k));
                    prop_assert_eq!(&short.padded()[..short.len()], &k[..]);
                    *t.entry_short(&short) += 1;
                }
                _ => *t.entry(k) += 1,
            }
            *want.entry(k.clone()).or_default() += 1;
        }
        t.set_appending(false, 0);
        let want: Vec<(Vec<u8>, u64)> = want.into_iter().collect();
        prop_assert_eq!(sorted_entries(&t), want);
    }
}
