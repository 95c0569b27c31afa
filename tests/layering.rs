//! The module layering of `src/`: the data path reads top to bottom (inputs -> chunks -> map ->
//! merge -> spill -> order -> emit, driven from the top), and no module names one above it.
//! Read from the source: every `crate::X` outside a file's `#[cfg(test)] mod tests` is an edge
//! from the file's top-level module to `X` (an item of the crate root counts as `lib`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Layers from top to bottom; a module may name modules of its own layer or below.
const LAYERS: &[&[&str]] = &[
    &["main"],
    &["lib"],
    // Checks of a whole run before it starts (outputs never overwrite inputs).
    &["pipeline", "same_file", "diff"],
    &["config"],
    // The command line, and what is generated from it (completions, man page).
    &["cli", "docs"],
    // The jobs, each implementing the Job trait, and their registry.
    &["jobs"],
    // Partial files and incremental state.
    &["partial"],
    &["emit"],
    &["spill"],
    &["order"],
    &["engine"],
    &["input"],
    // Record framing: the stream reader in `input/` cuts its blocks at record boundaries.
    &["chunk"],
    &["aggregate"],
    // Support modules.
    &[
        "error",
        "exit",
        "diag",
        "signals",
        "progress",
        "num",
        "size",
        // The atomic output file (`-o`, `--rejects`, state): its temporary names are skipped
        // by directory walks, so it sits below input.
        "atomic",
        "timestamp",
    ],
];

/// Known upward edges (`from`, `to`), each still present (a fixed one must be deleted here).
/// Exempt from the layer and the cycle checks.
const ALLOWED: &[(&str, &str)] = &[];

/// Top-level module of each `.rs` file under `dir`, with the file's text.
fn sources(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).unwrap();
            let first = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            let top = first.trim_end_matches(".rs").to_string();
            out.push((top, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// The names that `crate::` paths in `code` start with (grouped `crate::{a, b::c}` too).
fn crate_refs(code: &str) -> Vec<String> {
    let mut refs = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let preceded = rest[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
        rest = &rest[i + "crate::".len()..];
        if preceded {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name = item.trim().split("::").next().unwrap_or("");
                if !name.is_empty() {
                    refs.push(name.to_string());
                }
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            refs.push(rest[..end].to_string());
        }
    }
    refs
}

/// The code of a file without comments and without its unit-test module (tests may drive a
/// module with higher ones).
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Edges between top-level modules of `src/`.
fn module_graph() -> (BTreeSet<String>, BTreeMap<String, BTreeSet<String>>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, text) in &files {
        for to in crate_refs(&code_of(text)) {
            let to = if modules.contains(&to) {
                to
            } else {
                "lib".into()
            };
            if &to != from {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    (modules, edges)
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

#[test]
fn no_module_names_a_module_above_it() {
    let (modules, edges) = module_graph();
    let unplaced: Vec<_> = modules.iter().filter(|m| layer_of(m).is_none()).collect();
    assert!(
        unplaced.is_empty(),
        "place these modules in LAYERS: {unplaced:?}"
    );
    let mut upward = Vec::new();
    for (from, tos) in &edges {
        for to in tos {
            let allowed = ALLOWED.contains(&(from.as_str(), to.as_str()));
            if !allowed && layer_of(to) < layer_of(from) {
                upward.push(format!("{from} -> {to}"));
            }
        }
    }
    assert!(upward.is_empty(), "modules naming a higher one: {upward:?}");
}

#[test]
fn the_allow_list_holds_only_edges_that_still_exist() {
    let (_, edges) = module_graph();
    let stale: Vec<_> = ALLOWED
        .iter()
        .filter(|(from, to)| !edges.get(*from).is_some_and(|t| t.contains(*to)))
        .collect();
    assert!(stale.is_empty(), "fixed: delete from ALLOWED: {stale:?}");
}

#[test]
fn the_data_path_modules_name_nothing_above_them() {
    let (_, edges) = module_graph();
    for module in ["aggregate", "engine", "order", "spill"] {
        let above: Vec<_> = edges
            .get(module)
            .into_iter()
            .flatten()
            .filter(|to| layer_of(to) < layer_of(module))
            .collect();
        assert!(above.is_empty(), "{module} names {above:?}");
    }
}

#[test]
fn no_import_cycles_between_modules() {
    let (modules, edges) = module_graph();
    let next = |m: &str| -> Vec<String> {
        edges
            .get(m)
            .into_iter()
            .flatten()
            .filter(|to| !ALLOWED.contains(&(m, to.as_str())))
            .cloned()
            .collect()
    };
    // Depth-first search; a module met again while on the stack closes a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnStack,
        Done,
    }
    let mut mark: BTreeMap<String, Mark> = modules.iter().map(|m| (m.clone(), Mark::New)).collect();
    mark.insert("lib".into(), Mark::New);
    fn visit(
        m: &str,
        next: &dyn Fn(&str) -> Vec<String>,
        mark: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        mark.insert(m.into(), Mark::OnStack);
        path.push(m.into());
        for to in next(m) {
            match mark.get(&to).copied().unwrap_or(Mark::New) {
                Mark::OnStack => {
                    let start = path.iter().position(|p| *p == to).unwrap();
                    let mut cycle = path[start..].to_vec();
                    cycle.push(to);
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(&to, next, mark, path) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        mark.insert(m.into(), Mark::Done);
        None
    }
    let names: Vec<String> = mark.keys().cloned().collect();
    for m in names {
        if mark[&m] == Mark::New {
            let cycle = visit(&m, &next, &mut mark, &mut Vec::new());
            assert!(
                cycle.is_none(),
                "import cycle: {}",
                cycle.unwrap().join(" -> ")
            );
        }
    }
}

#[test]
fn crate_paths_are_read_in_every_form() {
    let refs = crate_refs("use crate::a::b;\nuse crate::{c, d::e};\nx = $crate::f; my_crate::g");
    assert_eq!(refs, ["a", "c", "d"]);
    assert_eq!(
        code_of("a // crate::x\n#[cfg(test)]\nmod tests { crate::y }"),
        "a "
    );
}
