//! The keyed table: per-key states in an open-addressing hash table whose slots hold short
//! keys inline, and its sort of slots by key for ordered output and spill runs.

use serde::{Deserialize, Serialize};

use super::alloc::HugeAlloc;
use super::hash::{key_eq, key_hash, key_prefix, ShortKey};
use super::Merge;

/// Longest key stored inline in a table slot.
const INLINE_KEY: usize = 22;

/// A key's bytes: short keys (most words, status codes, addresses) live inside the table slot,
/// so a lookup touches one cache line instead of chasing a pointer to the heap.
#[derive(Debug, Clone)]
enum SmallKey {
    Inline { len: u8, bytes: [u8; INLINE_KEY] },
    Heap(Box<[u8]>),
}

impl SmallKey {
    #[inline]
    fn new(key: &[u8]) -> SmallKey {
        if key.len() <= INLINE_KEY {
            let mut bytes = [0u8; INLINE_KEY];
            bytes[..key.len()].copy_from_slice(key);
            SmallKey::Inline {
                len: key.len() as u8,
                bytes,
            }
        } else {
            SmallKey::Heap(key.into())
        }
    }

    /// Orders keys as their bytes do. Inline keys are zero-padded, so comparing the padded
    /// arrays (as big-endian words: no call into `memcmp`) and then the lengths gives the byte
    /// order: a key that is a prefix of another differs from it only in padding, or in a byte
    /// after its end.
    #[inline]
    fn cmp_bytes(&self, other: &SmallKey) -> std::cmp::Ordering {
        #[inline(always)]
        fn word(b: &[u8; INLINE_KEY], at: usize) -> u64 {
            let mut w = [0u8; 8];
            let n = (INLINE_KEY - at).min(8);
            w[..n].copy_from_slice(&b[at..at + n]);
            u64::from_be_bytes(w)
        }
        match (self, other) {
            (SmallKey::Inline { len: la, bytes: a }, SmallKey::Inline { len: lb, bytes: b }) => {
                word(a, 0)
                    .cmp(&word(b, 0))
                    .then_with(|| word(a, 8).cmp(&word(b, 8)))
                    .then_with(|| word(a, 16).cmp(&word(b, 16)))
                    .then_with(|| la.cmp(lb))
            }
            _ => self.as_bytes().cmp(other.as_bytes()),
        }
    }

    /// A key held inline from a short key's words.
    #[inline]
    fn from_short(key: &ShortKey) -> SmallKey {
        let mut bytes = [0u8; INLINE_KEY];
        bytes[..ShortKey::MAX].copy_from_slice(&key.padded());
        SmallKey::Inline {
            len: key.len() as u8,
            bytes,
        }
    }

    /// Whether this is `key`: its length and two words, compared without a branch on the
    /// length (inline keys are zero-padded, as short keys are).
    #[inline(always)]
    fn is_short(&self, key: &ShortKey) -> bool {
        match self {
            SmallKey::Inline { len, bytes } => {
                let [a, b] = key.words();
                let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8"));
                (usize::from(*len) == key.len()) & ((word(0) ^ a) | (word(8) ^ b) == 0)
            }
            SmallKey::Heap(_) => false,
        }
    }

    #[inline(always)]
    fn as_bytes(&self) -> &[u8] {
        match self {
            SmallKey::Inline { len, bytes } => &bytes[..*len as usize],
            SmallKey::Heap(b) => b,
        }
    }
}

/// One key of a [`KeyedTable`] with its state.
#[derive(Debug, Clone)]
struct Slot<S> {
    key: SmallKey,
    state: S,
}

impl<S> Slot<S> {
    #[inline(always)]
    fn hash(&self) -> u64 {
        key_hash(self.key.as_bytes())
    }

    #[inline(always)]
    fn is(&self, key: &[u8]) -> bool {
        key_eq(self.key.as_bytes(), key)
    }
}

/// A key (arbitrary bytes, not necessarily UTF-8) mapped to a mergeable state. Words, regex
/// captures and group-by fields all become keys of one of these.
#[derive(Debug, Clone)]
pub struct KeyedTable<S> {
    table: hashbrown::HashTable<Slot<S>, HugeAlloc>,
    /// Append mode (see [`KeyedTable::set_appending`]): every `entry` call appends a slot here,
    /// equal keys are combined only when the table is drained in order for a spill.
    log: Vec<Slot<S>>,
    appending: bool,
    /// Bytes of the keys too long to sit inline, with the allocator's overhead (for
    /// `--memory`; kept on the cold path of a first insert).
    heap: usize,
}

impl<S> Default for KeyedTable<S> {
    fn default() -> Self {
        KeyedTable {
            table: hashbrown::HashTable::new_in(HugeAlloc),
            log: Vec::new(),
            appending: false,
            heap: 0,
        }
    }
}

/// What a key outside its slot costs the heap: its bytes rounded up as malloc does, plus the
/// allocator's header.
#[inline]
fn heap_cost(len: usize) -> usize {
    if len <= INLINE_KEY {
        0
    } else {
        (len + 8 + 15) & !15
    }
}

impl<S: Default> KeyedTable<S> {
    /// The state for `key`, inserted as the identity first if absent. The key is copied only
    /// on first insert.
    #[inline]
    pub fn entry(&mut self, key: &[u8]) -> &mut S {
        self.entry_fresh(key).0
    }

    /// [`KeyedTable::entry`] with the key's [`key_hash`] already computed.
    #[inline]
    pub fn entry_hashed(&mut self, hash: u64, key: &[u8]) -> &mut S {
        if self.appending {
            return self.append(key);
        }
        self.lookup(hash, key).0
    }

    /// [`KeyedTable::entry`], and whether the key was inserted just now (in append mode,
    /// every key is).
    #[inline]
    pub fn entry_fresh(&mut self, key: &[u8]) -> (&mut S, bool) {
        if self.appending {
            return (self.append(key), true);
        }
        // The short key is built once, for its hash and its compare.
        match ShortKey::new(key) {
            Some(short) => self.lookup_short(short.hash(), &short),
            None => self.lookup_long(key_hash(key), key),
        }
    }

    /// [`KeyedTable::entry_fresh`] with the key's [`key_hash`] already computed.
    #[inline]
    pub fn entry_fresh_hashed(&mut self, hash: u64, key: &[u8]) -> (&mut S, bool) {
        if self.appending {
            return (self.append(key), true);
        }
        self.lookup(hash, key)
    }

    /// [`KeyedTable::entry`] for a short key, hashed and compared as two words.
    #[inline]
    pub fn entry_short(&mut self, key: &ShortKey) -> &mut S {
        if self.appending {
            return self.append(&key.padded()[..key.len()]);
        }
        self.lookup_short(key.hash(), key).0
    }

    /// The slot of a short key whose hash is `hash`, inserted if absent; true if inserted.
    #[inline(always)]
    fn lookup_short(&mut self, hash: u64, key: &ShortKey) -> (&mut S, bool) {
        match self.table.find_entry(hash, |s| s.key.is_short(key)) {
            Ok(o) => (&mut o.into_mut().state, false),
            Err(absent) => {
                let slot = Slot {
                    key: SmallKey::from_short(key),
                    state: S::default(),
                };
                let table = absent.into_table();
                let slot = table.insert_unique(hash, slot, Slot::hash);
                (&mut slot.into_mut().state, true)
            }
        }
    }

    #[inline(always)]
    fn lookup(&mut self, hash: u64, key: &[u8]) -> (&mut S, bool) {
        match ShortKey::new(key) {
            Some(short) => self.lookup_short(hash, &short),
            None => self.lookup_long(hash, key),
        }
    }

    /// The slot of a key longer than a [`ShortKey`], inserted if absent; true if inserted.
    #[inline(always)]
    fn lookup_long(&mut self, hash: u64, key: &[u8]) -> (&mut S, bool) {
        use hashbrown::hash_table::Entry;
        match self.table.entry(hash, |s| s.is(key), Slot::hash) {
            Entry::Occupied(o) => (&mut o.into_mut().state, false),
            Entry::Vacant(v) => {
                self.heap += heap_cost(key.len());
                let slot = v.insert(Slot {
                    key: SmallKey::new(key),
                    state: S::default(),
                });
                (&mut slot.into_mut().state, true)
            }
        }
    }
}

impl<S: Default> KeyedTable<S> {
    /// Appends a slot for `key` (append mode): no lookup, so no random memory access.
    #[inline]
    fn append(&mut self, key: &[u8]) -> &mut S {
        self.heap += heap_cost(key.len());
        self.log.push(Slot {
            key: SmallKey::new(key),
            state: S::default(),
        });
        &mut self.log.last_mut().expect("just pushed").state
    }
}

impl<S: Merge> KeyedTable<S> {
    /// Switches between hashing (the default: equal keys combined at once) and appending,
    /// where every key seen takes a slot of its own, sequentially, and equal keys are combined
    /// when the table is drained for a spill. Appending wins when nearly every key is new (a
    /// hash table then pays a cache miss or two per key for nothing), which is what a spilling
    /// high-cardinality job sees. `capacity` slots are reserved for the appended keys. Slots
    /// already held are kept, combined into the hash table when leaving append mode.
    pub fn set_appending(&mut self, on: bool, capacity: usize) {
        if on == self.appending {
            return;
        }
        if on {
            let table = std::mem::replace(&mut self.table, hashbrown::HashTable::new_in(HugeAlloc));
            self.log.reserve_exact(capacity.max(table.len()));
            self.log.extend(table);
            self.appending = true;
        } else {
            self.settle();
        }
    }

    /// True in append mode.
    pub fn is_appending(&self) -> bool {
        self.appending
    }

    /// Leaves append mode, combining the appended slots into the hash table.
    fn settle(&mut self) {
        self.appending = false;
        let log = std::mem::take(&mut self.log);
        for slot in log {
            self.heap -= heap_cost(slot.key.as_bytes().len());
            self.entry(slot.key.as_bytes()).merge(slot.state);
        }
    }

    /// Calls `f` with every key and state ordered by partition (see `partition`), then by key
    /// bytes, equal keys combined — the order of a spill run — and empties the table (keeping
    /// its allocation). Returns how many slots held keys (one per key seen in append mode, one
    /// per distinct key otherwise) and how many rows went to `f`.
    pub fn drain_sorted<E>(
        &mut self,
        parts: usize,
        partition: impl Fn(&[u8]) -> usize,
        mut f: impl FnMut(usize, &[u8], &S) -> Result<(), E>,
    ) -> Result<(usize, usize), E> {
        if !self.appending {
            let n = self.table.len();
            let r = self.for_each_sorted(parts, partition, f);
            self.clear();
            return r.map(|()| (n, n));
        }
        let parts = parts.max(1);
        let slots = self.log.len();
        // Partition in place (a counting pass, then cycles of swaps), then sort each section.
        let mut part: Vec<u8> = Vec::new();
        let mut starts = vec![0usize; parts + 1];
        if parts > 1 {
            assert!(parts <= 256, "at most 256 partitions");
            part = self
                .log
                .iter()
                .map(|s| partition(s.key.as_bytes()).min(parts - 1) as u8)
                .collect();
            for &p in &part {
                starts[p as usize + 1] += 1;
            }
            for p in 0..parts {
                starts[p + 1] += starts[p];
            }
            let mut next = starts.clone();
            for p in 0..parts {
                while next[p] < starts[p + 1] {
                    let i = next[p];
                    let q = part[i] as usize;
                    if q == p {
                        next[p] += 1;
                    } else {
                        let j = next[q];
                        next[q] += 1;
                        self.log.swap(i, j);
                        part.swap(i, j);
                    }
                }
            }
        } else {
            starts[1] = slots;
        }
        drop(part);
        let mut rows = 0;
        let mut result = Ok(());
        for p in 0..parts {
            let seg = &mut self.log[starts[p]..starts[p + 1]];
            sort_slots(seg, 0);
            let mut i = 0;
            while i < seg.len() && result.is_ok() {
                let mut state = std::mem::take(&mut seg[i].state);
                let mut j = i + 1;
                while j < seg.len() && key_eq(seg[j].key.as_bytes(), seg[i].key.as_bytes()) {
                    state.merge(std::mem::take(&mut seg[j].state));
                    j += 1;
                }
                result = f(p, seg[i].key.as_bytes(), &state);
                rows += 1;
                i = j;
            }
            if result.is_err() {
                break;
            }
        }
        self.clear();
        result.map(|()| (slots, rows))
    }
}

impl<S> KeyedTable<S> {
    /// How many distinct keys the table holds (in append mode: how many keys were appended,
    /// an upper bound).
    pub fn len(&self) -> usize {
        self.table.len() + self.log.len()
    }

    /// True when no key has been seen.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty() && self.log.is_empty()
    }

    /// Bytes of one slot (a key up to [`INLINE_KEY`] bytes and its state).
    pub fn slot_bytes() -> usize {
        std::mem::size_of::<Slot<S>>()
    }

    /// Bytes the keys held take: [`KeyedTable::mem_bytes`], except that in append mode only
    /// the slots in use count, not the reserved ones.
    pub fn fill_bytes(&self) -> usize {
        if self.appending {
            self.log.len() * Self::slot_bytes() + self.heap
        } else {
            self.mem_bytes()
        }
    }

    /// Bytes a spill of the table needs on top of [`KeyedTable::mem_bytes`]: a sort entry per
    /// key of the hash table (append mode sorts in place).
    pub fn sort_bytes(&self) -> usize {
        self.table.len() * SORT_ENTRY_BYTES
    }

    /// Bytes the table holds: its allocation (slots and control bytes, whatever the fill) and
    /// its keys on the heap. States' own heap memory is not counted.
    pub fn mem_bytes(&self) -> usize {
        table_bytes::<S>(self.table.capacity())
            + self.log.capacity() * std::mem::size_of::<Slot<S>>()
            + self.heap
    }

    /// Bytes the table would allocate (on top of [`KeyedTable::mem_bytes`]) if `more` new keys
    /// of up to `key_bytes` bytes in all arrived: a new allocation when they would not fit the
    /// capacity (the old one lives until the move is done), and their heap keys.
    pub fn growth_bytes(&self, more: usize, key_bytes: usize) -> usize {
        let grow = if self.appending {
            let need = self.log.len().saturating_add(more);
            if need > self.log.capacity() {
                need.max(self.log.capacity() * 2) * std::mem::size_of::<Slot<S>>()
            } else {
                0
            }
        } else if self.table.len().saturating_add(more) > self.table.capacity() {
            let need = self.table.len().saturating_add(more);
            table_bytes::<S>(capacity_for(need))
        } else {
            0
        };
        // At most every new key on the heap, each with its allocation overhead.
        grow + key_bytes + more.min(key_bytes / (INLINE_KEY + 1)) * 24
    }

    /// Removes every key but keeps the allocation, so a table refilled after a spill does not
    /// grow (and briefly hold two allocations) again.
    pub fn clear(&mut self) {
        self.table.clear();
        self.log.clear();
        self.heap = 0;
    }

    /// Calls `f` with every key and state ordered by partition (see `partition`), then by key
    /// bytes: the order of a spill run. Sorts pointers, so it needs [`SORT_ENTRY_BYTES`] per key.
    fn for_each_sorted<E>(
        &self,
        parts: usize,
        partition: impl Fn(&[u8]) -> usize,
        mut f: impl FnMut(usize, &[u8], &S) -> Result<(), E>,
    ) -> Result<(), E> {
        debug_assert!(self.log.is_empty(), "iteration in append mode");
        let parts = parts.max(1);
        // Two passes (hashing each key twice) so that every partition's buffer is allocated
        // once at its exact size: no growth, no second copy while sorting.
        let mut sizes = vec![0usize; parts];
        if parts > 1 {
            for s in &self.table {
                sizes[partition(s.key.as_bytes()).min(parts - 1)] += 1;
            }
        } else {
            sizes[0] = self.table.len();
        }
        let mut order: Vec<Vec<(u64, &Slot<S>)>> =
            sizes.iter().map(|&n| Vec::with_capacity(n)).collect();
        for s in &self.table {
            let key = s.key.as_bytes();
            let p = if parts > 1 {
                partition(key).min(parts - 1)
            } else {
                0
            };
            order[p].push((key_prefix(key), s));
        }
        // Slots are visited in key order, i.e. at random places of the table: gather a block
        // of them in a tight loop first, so their cache misses overlap instead of each one
        // waiting behind the writing of the previous entry.
        const BLOCK: usize = 32;
        let mut block: Vec<(&[u8], &S)> = Vec::with_capacity(BLOCK);
        for (p, seg) in order.iter_mut().enumerate() {
            seg.sort_unstable_by(|a, b| {
                a.0.cmp(&b.0)
                    .then_with(|| a.1.key.as_bytes().cmp(b.1.key.as_bytes()))
            });
            for part in seg.chunks(BLOCK) {
                block.clear();
                block.extend(part.iter().map(|(_, s)| (s.key.as_bytes(), &s.state)));
                for (key, state) in &block {
                    f(p, key, state)?;
                }
            }
        }
        Ok(())
    }

    /// The state for `key`, if present.
    pub fn get(&self, key: &[u8]) -> Option<&S> {
        debug_assert!(self.log.is_empty(), "lookup in append mode");
        let hash = key_hash(key);
        self.table.find(hash, |s| s.is(key)).map(|s| &s.state)
    }

    /// The state for `key`, if present, to change.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut S> {
        self.get_mut_hashed(key_hash(key), key)
    }

    /// [`KeyedTable::get_mut`] with the key's [`key_hash`] already computed.
    pub fn get_mut_hashed(&mut self, hash: u64, key: &[u8]) -> Option<&mut S> {
        debug_assert!(self.log.is_empty(), "lookup in append mode");
        self.table
            .find_mut(hash, |s| s.is(key))
            .map(|s| &mut s.state)
    }

    /// Calls `f` with every key and its state, to change, in no particular order.
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&[u8], &mut S)) {
        debug_assert!(self.log.is_empty(), "iteration in append mode");
        for slot in self.table.iter_mut() {
            f(slot.key.as_bytes(), &mut slot.state);
        }
    }

    /// A table of the same keys whose states are `f` of these (which `f` may change, e.g.
    /// take): built at its final size, without looking any key up.
    pub fn map_states<T>(&mut self, mut f: impl FnMut(&mut S) -> T) -> KeyedTable<T> {
        debug_assert!(self.log.is_empty(), "iteration in append mode");
        let mut table = hashbrown::HashTable::with_capacity_in(self.table.len(), HugeAlloc);
        for slot in self.table.iter_mut() {
            let state = f(&mut slot.state);
            table.insert_unique(
                slot.hash(),
                Slot {
                    key: slot.key.clone(),
                    state,
                },
                Slot::hash,
            );
        }
        KeyedTable {
            table,
            log: Vec::new(),
            appending: false,
            heap: self.heap,
        }
    }

    /// All keys and states, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &S)> {
        debug_assert!(self.log.is_empty(), "iteration in append mode");
        self.table.iter().map(|s| (s.key.as_bytes(), &s.state))
    }

    /// Calls `f` with every key and state, in no particular order, and empties the table,
    /// keeping its allocation (a table refilled for every chunk does not grow again).
    pub fn drain_each(&mut self, mut f: impl FnMut(&[u8], S)) {
        debug_assert!(self.log.is_empty(), "iteration in append mode");
        for slot in self.table.drain() {
            f(slot.key.as_bytes(), slot.state);
        }
        self.heap = 0;
    }

    /// Consumes the table into its keys and states, in no particular order.
    pub fn into_entries(self) -> impl Iterator<Item = (Box<[u8]>, S)> {
        debug_assert!(self.log.is_empty(), "iteration in append mode");
        self.table.into_iter().map(|s| {
            let key = match s.key {
                SmallKey::Heap(b) => b,
                inline => inline.as_bytes().into(),
            };
            (key, s.state)
        })
    }
}

impl<S: Merge> Merge for KeyedTable<S> {
    fn merge(&mut self, mut other: Self) {
        use hashbrown::hash_table::Entry;
        if other.is_empty() {
            return;
        }
        // Fold the smaller table into the larger: fewer inserts, no key copied.
        if other.len() > self.len() {
            std::mem::swap(self, &mut other);
        }
        if other.is_empty() {
            return;
        }
        // Appended slots are combined first (both sides are rarely in append mode: a spilling
        // run spills one side before merging).
        self.settle();
        other.settle();
        // One growth up front instead of several doublings while folding, and only for the
        // keys `other` adds: the workers' tables of one input mostly share their keys (a
        // growth for all of them would copy a large table, and fault in a larger one, for
        // nothing).
        let added = other
            .table
            .iter()
            .filter(|s| {
                self.table
                    .find(s.hash(), |t| t.is(s.key.as_bytes()))
                    .is_none()
            })
            .count();
        self.table.reserve(added, Slot::hash);
        self.heap += other.heap;
        for slot in other.table {
            let key = slot.key.as_bytes();
            match self.table.entry(key_hash(key), |s| s.is(key), Slot::hash) {
                Entry::Occupied(mut o) => {
                    self.heap -= heap_cost(key.len());
                    o.get_mut().state.merge(slot.state)
                }
                Entry::Vacant(v) => {
                    v.insert(slot);
                }
            }
        }
    }
}

impl<S: PartialEq> PartialEq for KeyedTable<S> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(k, v)| other.get(k).is_some_and(|o| o == v))
    }
}

impl<S: Eq> Eq for KeyedTable<S> {}

impl<K: AsRef<[u8]>, S: Merge> FromIterator<(K, S)> for KeyedTable<S> {
    fn from_iter<I: IntoIterator<Item = (K, S)>>(iter: I) -> Self {
        let mut t: KeyedTable<S> = KeyedTable::default();
        for (k, s) in iter {
            t.entry(k.as_ref()).merge(s);
        }
        t
    }
}

/// Bytes of the sort buffer [`KeyedTable::for_each_sorted`] needs per key.
pub const SORT_ENTRY_BYTES: usize = 16;

/// Sorts slots by key bytes, in place: an MSD radix sort (American flag sort) on the byte at
/// `depth`, with small or deep buckets left to a comparison sort. Keys in a spill are mostly
/// distinct and random, so each level splits them into many buckets and the sort touches each
/// slot a few times where a comparison sort compares it log2(n) times.
fn sort_slots<S>(v: &mut [Slot<S>], depth: usize) {
    const SMALL: usize = 48;
    const DEEPEST: usize = 24;
    if v.len() <= SMALL || depth >= DEEPEST {
        v.sort_unstable_by(|a, b| a.key.cmp_bytes(&b.key));
        return;
    }
    // Bucket 0: keys that end before `depth` (all equal from here on); 1 + b: byte b.
    #[inline(always)]
    fn bucket(key: &SmallKey, depth: usize) -> usize {
        match key {
            SmallKey::Inline { len, bytes } => {
                if depth < *len as usize {
                    bytes[depth] as usize + 1
                } else {
                    0
                }
            }
            SmallKey::Heap(b) => b.get(depth).map_or(0, |&c| c as usize + 1),
        }
    }
    let mut counts = [0usize; 257];
    for s in v.iter() {
        counts[bucket(&s.key, depth)] += 1;
    }
    let n = v.len();
    if counts[0] == n {
        return;
    }
    if counts.contains(&n) {
        return sort_slots(v, depth + 1);
    }
    let mut ends = [0usize; 257];
    let mut next = [0usize; 257];
    let mut at = 0;
    for b in 0..257 {
        next[b] = at;
        at += counts[b];
        ends[b] = at;
    }
    for b in 0..257 {
        while next[b] < ends[b] {
            let i = next[b];
            let to = bucket(&v[i].key, depth);
            if to == b {
                next[b] += 1;
            } else {
                v.swap(i, next[to]);
                next[to] += 1;
            }
        }
    }
    let mut start = counts[0];
    for &end in &ends[1..] {
        if end - start > 1 {
            sort_slots(&mut v[start..end], depth + 1);
        }
        start = end;
    }
}

/// Bytes of a table allocation of `capacity` keys of state `S`: hashbrown keeps 1/8 of the
/// buckets empty, rounds buckets to a power of two and adds a control byte per bucket.
fn table_bytes<S>(capacity: usize) -> usize {
    let buckets = match capacity {
        0 => return 0,
        c if c < 8 => c + 1,
        c => c / 7 * 8,
    };
    buckets * (std::mem::size_of::<Slot<S>>() + 1) + 16
}

/// The capacity hashbrown gives a table that must hold `n` keys.
fn capacity_for(n: usize) -> usize {
    let buckets = if n < 4 {
        4
    } else if n < 8 {
        8
    } else {
        (n.saturating_mul(8) / 7).next_power_of_two()
    };
    if buckets < 8 {
        buckets - 1
    } else {
        buckets / 8 * 7
    }
}

/// Serialized as a sequence of `(key bytes, state)` pairs.
impl<S: Serialize> Serialize for KeyedTable<S> {
    fn serialize<Z: serde::Serializer>(&self, z: Z) -> Result<Z::Ok, Z::Error> {
        z.collect_seq(self.iter())
    }
}

impl<'de, S: Deserialize<'de> + Merge> Deserialize<'de> for KeyedTable<S> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pairs: Vec<(Vec<u8>, S)> = Vec::deserialize(d)?;
        Ok(pairs.into_iter().collect())
    }
}

/// A canonical, sorted view of a table, for comparisons in tests.
#[cfg(test)]
pub(crate) fn sorted_entries<S: Clone + Ord>(t: &KeyedTable<S>) -> Vec<(Vec<u8>, S)> {
    let mut v: Vec<_> = t.iter().map(|(k, s)| (k.to_vec(), s.clone())).collect();
    v.sort();
    v
}
#[cfg(test)]
mod tests;
