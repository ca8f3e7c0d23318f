//! The module graph: which paths a file names (`crate::`, `super::`,
//! `self::`, brace groups included), which sibling modules use which, and
//! the cycles among them, each with the places that make it.

use super::source::{tokens, without_tests_module, SourceFile, Token};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Module graph: node -> (used node -> places it is used, `file:line`).
pub type Graph = BTreeMap<String, BTreeMap<String, Vec<String>>>;
/// Every module path used in `code` (a file of module `module`), made
/// absolute from the crate root, with the line it is on.
pub fn absolute_paths(code: &str, module: &[String]) -> Vec<(usize, Vec<String>)> {
    let toks = tokens(without_tests_module(code));
    let token = |k: usize| toks.get(k).map(|t| &t.1);
    let mut out = Vec::new();
    for i in 0..toks.len() {
        if token(i + 1) != Some(&Token::PathSep) || (i > 0 && token(i - 1) == Some(&Token::PathSep))
        {
            continue;
        }
        let Some((base, next)) = path_root(&toks, i, module) else {
            continue;
        };
        let mut leaves = Vec::new();
        use_tree(&toks, next, base, &mut leaves);
        out.extend(leaves.into_iter().map(|leaf| (toks[i].0, leaf)));
    }
    out
}

/// Where a path starting at token `i` is rooted (`crate`, `super` repeated,
/// `self`) and the token after its root's `::`; None for other paths.
fn path_root(toks: &[(usize, Token)], i: usize, module: &[String]) -> Option<(Vec<String>, usize)> {
    let word = |k: usize| match toks.get(k) {
        Some((_, Token::Word(w))) => Some(w.as_str()),
        _ => None,
    };
    match word(i)? {
        "crate" => Some((Vec::new(), i + 2)),
        "self" => Some((module.to_vec(), i + 2)),
        "super" => {
            let (mut base, mut next) = (module.to_vec(), i + 2);
            base.pop();
            while word(next) == Some("super")
                && toks.get(next + 1).map(|t| &t.1) == Some(&Token::PathSep)
            {
                base.pop();
                next += 2;
            }
            Some((base, next))
        }
        _ => None,
    }
}

/// Reads a use tree (`a::b`, `a::{b, c::d as e, self}`, `a::*`) from token
/// `i` and pushes each leaf's path after `prefix`; returns the next token.
fn use_tree(
    toks: &[(usize, Token)],
    i: usize,
    prefix: Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    let token = |k: usize| toks.get(k).map(|t| &t.1);
    match token(i) {
        Some(Token::Punct('{')) => brace_group(toks, i + 1, &prefix, out),
        Some(Token::Word(name)) if name == "self" => {
            out.push(prefix);
            i + 1
        }
        Some(Token::Word(name)) => {
            let mut path = prefix;
            path.push(name.clone());
            if token(i + 1) == Some(&Token::PathSep) {
                return use_tree(toks, i + 2, path, out);
            }
            out.push(path);
            let renamed = matches!(token(i + 1), Some(Token::Word(w)) if w == "as");
            if renamed {
                i + 3
            } else {
                i + 1
            }
        }
        _ => {
            out.push(prefix); // `*`, or a path into generics: `a::<T>`
            i
        }
    }
}

/// The entries of a brace group whose first entry is token `i`; returns the
/// token after its closing brace.
fn brace_group(
    toks: &[(usize, Token)],
    mut i: usize,
    prefix: &[String],
    out: &mut Vec<Vec<String>>,
) -> usize {
    loop {
        match toks.get(i).map(|t| &t.1) {
            None | Some(Token::Punct('}')) => return i + 1,
            Some(Token::Punct(',')) => i += 1,
            Some(_) => i = use_tree(toks, i, prefix.to_vec(), out).max(i + 1),
        }
    }
}

/// Every module with submodules: the crate root and each directory module.
pub fn parent_modules(files: &[SourceFile]) -> BTreeSet<Vec<String>> {
    let modules = files.iter().filter_map(|f| f.module.as_ref());
    modules
        .filter(|m| !m.is_empty())
        .map(|m| m[..m.len() - 1].to_vec())
        .collect()
}

/// The graph among the children of `parent`: child A uses child B where a
/// file of A (or of A's own submodules) names a path into B.
pub fn sibling_graph(files: &[SourceFile], parent: &[String]) -> Graph {
    let child_of = |module: &[String]| {
        (module.len() > parent.len() && module.starts_with(parent))
            .then(|| module[parent.len()].clone())
    };
    let modules = files.iter().filter_map(|f| f.module.as_deref());
    let children: BTreeSet<String> = modules.filter_map(child_of).collect();
    let mut graph: Graph = children
        .iter()
        .map(|c| (c.clone(), BTreeMap::new()))
        .collect();
    for file in files {
        let Some(from) = file.module.as_deref().and_then(child_of) else {
            continue;
        };
        for (line, path) in absolute_paths(&file.code, file.module.as_deref().unwrap_or_default()) {
            let Some(to) = child_of(&path).filter(|to| *to != from && children.contains(to)) else {
                continue;
            };
            let places = graph
                .entry(from.clone())
                .or_default()
                .entry(to)
                .or_default();
            places.push(format!("{}:{line}", file.path));
        }
    }
    graph
}

/// Nodes reachable from `start` (itself only if on a cycle).
fn reachable(graph: &Graph, start: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<&str> = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(node).into_iter().flat_map(|edges| edges.keys()) {
            if seen.insert(next.clone()) {
                queue.push_back(next);
            }
        }
    }
    seen
}

/// The groups of two or more modules that all reach each other.
fn cyclic_groups(graph: &Graph) -> Vec<BTreeSet<String>> {
    let reach: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|n| (n, reachable(graph, n))).collect();
    let mut groups: Vec<BTreeSet<String>> = Vec::new();
    for (node, reached) in &reach {
        let group: BTreeSet<String> = reached
            .iter()
            .filter(|other| reach.get(other).is_some_and(|back| back.contains(*node)))
            .cloned()
            .collect();
        if group.len() > 1 && !groups.contains(&group) {
            groups.push(group);
        }
    }
    groups
}

/// A shortest cycle through the group's first module, as `a -> b -> a`.
fn shortest_cycle(graph: &Graph, group: &BTreeSet<String>) -> Vec<String> {
    let start = group.first().expect("a group has members").clone();
    let mut came_from: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = VecDeque::from([start.clone()]);
    while let Some(node) = queue.pop_front() {
        for next in graph[&node].keys().filter(|n| group.contains(*n)) {
            if *next == start {
                let mut cycle = vec![node.clone()];
                while let Some(previous) = came_from.get(cycle.last().expect("non-empty")) {
                    cycle.push(previous.clone());
                }
                cycle.reverse();
                cycle.push(start.clone());
                return cycle;
            }
            if !came_from.contains_key(next) && *next != start {
                came_from.insert(next.clone(), node.clone());
                queue.push_back(next.clone());
            }
        }
    }
    unreachable!("every module of a cyclic group reaches the others")
}

/// One report paragraph per cycle among the children of `parent`.
pub fn describe_cycles(graph: &Graph, parent: &[String]) -> Vec<String> {
    let scope = match parent {
        [] => "crate".to_string(),
        _ => format!("crate::{}", parent.join("::")),
    };
    let describe = |group: BTreeSet<String>| {
        let cycle = shortest_cycle(graph, &group).join(" -> ");
        let mut text = match group.len() {
            2 => format!("in {scope}: {cycle}"),
            _ => {
                let members: Vec<&str> = group.iter().map(String::as_str).collect();
                format!(
                    "in {scope}: {} use each other, e.g. {cycle}",
                    members.join(", ")
                )
            }
        };
        for (from, to, places) in group_edges(graph, &group) {
            text += &format!("\n    {from} -> {to}: {}", by_file(places));
        }
        text
    };
    cyclic_groups(graph).into_iter().map(describe).collect()
}

/// `file:line` places as `a.rs:1,5 b.rs:2` (places come in file order).
fn by_file(places: &[String]) -> String {
    let mut files: Vec<(&str, Vec<&str>)> = Vec::new();
    for (file, line) in places.iter().filter_map(|p| p.rsplit_once(':')) {
        match files.last_mut() {
            Some((last, lines)) if *last == file => {
                if lines.last() != Some(&line) {
                    lines.push(line);
                }
            }
            _ => files.push((file, vec![line])),
        }
    }
    let shown: Vec<String> = files
        .iter()
        .map(|(file, lines)| format!("{file}:{}", lines.join(",")))
        .collect();
    shown.join(" ")
}

/// The edges inside `group`, with their places.
fn group_edges<'a>(
    graph: &'a Graph,
    group: &'a BTreeSet<String>,
) -> impl Iterator<Item = (&'a String, &'a String, &'a Vec<String>)> {
    group.iter().flat_map(move |from| {
        let edges = graph[from].iter().filter(|(to, _)| group.contains(*to));
        edges.map(move |(to, places)| (from, to, places))
    })
}
