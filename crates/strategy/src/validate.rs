//! Validation: turns a document into a [`Graph`] and the full list of problems, never
//! stopping at the first one, so the canvas can badge every block at once.

use crate::catalogue::{self, BlockKind, PortType};
use crate::diagnostic::{Code, Diagnostic};
use crate::document::StrategyDocument;
use crate::graph::{Graph, GraphNode, Source};
use crate::limits::{Limits, group};
use crate::params;
use std::collections::HashMap;

/// A validated graph and everything wrong with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Validated {
    pub graph: Graph,
    pub diagnostics: Vec<Diagnostic>,
}

impl Validated {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks a document against the catalogue and the rules of the language, within the
/// default [`Limits`] (the largest any plan allows).
pub fn validate(doc: &StrategyDocument) -> Validated {
    validate_with(doc, &Limits::default())
}

/// Checks a document against the catalogue, the rules of the language and `limits`. A
/// document with more blocks or connections than the limits gets only that diagnostic
/// (checking the rest would cost what the limit is there to prevent).
pub fn validate_with(doc: &StrategyDocument, limits: &Limits) -> Validated {
    let mut out = Vec::new();
    check_size(doc, limits, &mut out);
    if !out.is_empty() {
        return Validated {
            graph: Graph::default(),
            diagnostics: out,
        };
    }
    let mut graph = Graph::default();
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for node in &doc.nodes {
        if ids.contains_key(node.id.as_str()) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateNodeId,
                    format!(
                        "Two blocks share the id \"{}\"; every block needs its own.",
                        node.id
                    ),
                )
                .on_node(&node.id),
            );
            continue;
        }
        ids.insert(&node.id, graph.nodes.len());
        let kind = BlockKind::from_name(&node.kind);
        if kind.is_none() {
            out.push(
                Diagnostic::error(Code::UnknownBlockKind, unknown_kind_message(&node.kind))
                    .on_node(&node.id),
            );
        }
        let spec = kind.map(catalogue::spec);
        let params = spec
            .map(|s| params::resolve(&node.id, s, &node.params, &mut out))
            .unwrap_or_default();
        graph.nodes.push(GraphNode {
            id: node.id.clone(),
            label: node.label.clone(),
            spec,
            params,
            inputs: vec![None; spec.map_or(0, |s| s.inputs.len())],
        });
    }
    for node in &graph.nodes {
        check_param_combinations(node, &mut out);
    }
    connect_edges(doc, &ids, &mut graph, &mut out);
    for node in &graph.nodes {
        let Some(spec) = node.spec else { continue };
        for (port, source) in spec.inputs.iter().zip(&node.inputs) {
            let already_reported = out.iter().any(|d| {
                d.node.as_deref() == Some(&node.id) && d.port.as_deref() == Some(port.name)
            });
            if source.is_none() && !already_reported {
                out.push(
                    Diagnostic::error(
                        Code::MissingInput,
                        format!(
                            "{} has nothing connected to its \"{}\" input; connect {} to it.",
                            node.display_start(),
                            port.label,
                            port.ty.plain()
                        ),
                    )
                    .on_node(&node.id)
                    .on_port(port.name),
                );
            }
        }
    }
    let acyclic = check_cycles(&graph, &mut out);
    if acyclic {
        check_depth(&graph, limits, &mut out);
    }
    check_actions(&graph, &mut out);
    check_risk(&graph, &mut out);
    if acyclic {
        check_higher_timeframes(&graph, &mut out);
    }
    check_unused(doc, &ids, &graph, &mut out);
    crate::never_true::check(&graph, &mut out);
    Validated {
        graph,
        diagnostics: out,
    }
}

fn check_size(doc: &StrategyDocument, limits: &Limits, out: &mut Vec<Diagnostic>) {
    if doc.nodes.len() > limits.max_nodes {
        out.push(Diagnostic::error(
            Code::TooManyBlocks,
            format!(
                "This strategy has {} blocks; your plan allows at most {}. Remove blocks or split the idea into simpler strategies.",
                group(doc.nodes.len()),
                group(limits.max_nodes)
            ),
        ));
    }
    if doc.edges.len() > limits.max_edges {
        out.push(Diagnostic::error(
            Code::TooManyConnections,
            format!(
                "This strategy has {} connections; your plan allows at most {}. Remove connections you do not need.",
                group(doc.edges.len()),
                group(limits.max_edges)
            ),
        ));
    }
}

/// The longest chain of blocks (in blocks), found in topological order without recursion,
/// must stay within the limit. The diagnostic points at the block that ends the chain.
fn check_depth(graph: &Graph, limits: &Limits, out: &mut Vec<Diagnostic>) {
    let n = graph.nodes.len();
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut pending: Vec<usize> = vec![0; n];
    for (i, node) in graph.nodes.iter().enumerate() {
        for src in node.inputs.iter().flatten() {
            consumers[src.node].push(i);
            pending[i] += 1;
        }
    }
    let mut depth = vec![1usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| pending[i] == 0).collect();
    let mut deepest: Option<usize> = None;
    while let Some(i) = ready.pop() {
        if deepest.is_none_or(|d| depth[i] > depth[d]) {
            deepest = Some(i);
        }
        for &c in &consumers[i] {
            depth[c] = depth[c].max(depth[i] + 1);
            pending[c] -= 1;
            if pending[c] == 0 {
                ready.push(c);
            }
        }
    }
    let Some(end) = deepest else { return };
    if depth[end] > limits.max_depth {
        out.push(
            Diagnostic::error(
                Code::GraphTooDeep,
                format!(
                    "The longest chain of blocks is {} deep (it ends at {}); your plan allows at most {}. Shorten the chain.",
                    group(depth[end]),
                    graph.nodes[end].display(),
                    group(limits.max_depth)
                ),
            )
            .on_node(&graph.nodes[end].id),
        );
    }
}

fn unknown_kind_message(kind: &str) -> String {
    let closest = BlockKind::ALL
        .iter()
        .map(|k| (edit_distance(kind, k.as_str()), k.as_str()))
        .min()
        .filter(|(d, _)| *d <= 3);
    match closest {
        Some((_, name)) => format!("There is no block called \"{kind}\". Did you mean \"{name}\"?"),
        None => format!("There is no block called \"{kind}\"; pick one from the block palette."),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn check_param_combinations(node: &GraphNode, out: &mut Vec<Diagnostic>) {
    let conflict = |param: &str, message: String| {
        Diagnostic::error(Code::ParamConflict, message)
            .on_node(&node.id)
            .on_param(param)
    };
    match node.kind() {
        Some(BlockKind::Macd | BlockKind::Ppo) => {
            let (fast, slow) = (node.params.usize("fast"), node.params.usize("slow"));
            if fast >= slow {
                out.push(conflict("fast", format!("The fast period ({fast}) of {} must be shorter than its slow period ({slow}).", node.display())));
            }
        }
        Some(BlockKind::ParabolicSar) => {
            let (step, max) = (node.params.f64("acceleration"), node.params.f64("maximum"));
            if step > max {
                out.push(conflict("acceleration", format!("The acceleration step ({step}) of {} cannot be larger than its maximum ({max}).", node.display())));
            }
        }
        _ => {}
    }
}

fn connect_edges(
    doc: &StrategyDocument,
    ids: &HashMap<&str, usize>,
    graph: &mut Graph,
    out: &mut Vec<Diagnostic>,
) {
    for edge in &doc.edges {
        let (from, to) = (
            ids.get(edge.from.node.as_str()).copied(),
            ids.get(edge.to.node.as_str()).copied(),
        );
        for (end, found, other) in [(&edge.from, from, &edge.to), (&edge.to, to, &edge.from)] {
            if found.is_none() {
                let at = if ids.contains_key(other.node.as_str()) {
                    other.node.as_str()
                } else {
                    end.node.as_str()
                };
                out.push(
                    Diagnostic::error(
                        Code::UnknownNode,
                        format!(
                            "A connection refers to a block \"{}\" that is not in the strategy.",
                            end.node
                        ),
                    )
                    .on_node(at),
                );
            }
        }
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        let (Some(from_spec), Some(to_spec)) = (graph.nodes[from].spec, graph.nodes[to].spec)
        else {
            continue;
        };
        let Some((output, out_port)) = from_spec.output(&edge.from.port) else {
            out.push(port_error(
                &graph.nodes[from],
                &edge.from.port,
                "output",
                from_spec.outputs.iter().map(|p| p.name),
            ));
            continue;
        };
        let Some((input, in_port)) = to_spec.input(&edge.to.port) else {
            out.push(port_error(
                &graph.nodes[to],
                &edge.to.port,
                "input",
                to_spec.inputs.iter().map(|p| p.name),
            ));
            continue;
        };
        if out_port.ty != in_port.ty {
            let hint = match in_port.ty {
                PortType::Boolean => {
                    " Use a condition block (such as 'Is above') to turn numbers into yes/no."
                }
                PortType::Number => {
                    " Conditions give yes/no; connect a price, an indicator or a number here."
                }
            };
            out.push(
                Diagnostic::error(
                    Code::PortTypeMismatch,
                    format!(
                        "The \"{}\" input of {} needs {}, but {} gives {}.{hint}",
                        in_port.label,
                        graph.nodes[to].display(),
                        in_port.ty.plain(),
                        graph.nodes[from].display(),
                        out_port.ty.plain()
                    ),
                )
                .on_node(&graph.nodes[to].id)
                .on_port(in_port.name),
            );
            continue;
        }
        let slot = &mut graph.nodes[to].inputs[input];
        if slot.is_some() {
            out.push(
                Diagnostic::error(
                    Code::InputAlreadyConnected,
                    format!(
                        "The \"{}\" input of {} has more than one connection; keep only one.",
                        in_port.label,
                        graph.nodes[to].display()
                    ),
                )
                .on_node(&graph.nodes[to].id)
                .on_port(in_port.name),
            );
            continue;
        }
        *slot = Some(Source { node: from, output });
    }
}

fn port_error<'a>(
    node: &GraphNode,
    port: &str,
    direction: &str,
    known: impl Iterator<Item = &'a str>,
) -> Diagnostic {
    let known: Vec<_> = known.collect();
    let hint = if known.is_empty() {
        format!("it has no {direction}s")
    } else {
        format!("its {direction}s are {}", known.join(", "))
    };
    Diagnostic::error(
        Code::UnknownPort,
        format!(
            "{} has no {direction} called \"{port}\"; {hint}.",
            node.display_start()
        ),
    )
    .on_node(&node.id)
    .on_port(port)
}

/// Reports each cycle once; returns true when there is none.
fn check_cycles(graph: &Graph, out: &mut Vec<Diagnostic>) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark = vec![Mark::New; graph.nodes.len()];
    let mut acyclic = true;
    for start in 0..graph.nodes.len() {
        if mark[start] != Mark::New {
            continue;
        }
        // Iterative DFS over inputs; `path` holds the active chain.
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            let inputs = &graph.nodes[node].inputs;
            if *next < inputs.len() {
                let i = *next;
                *next += 1;
                let Some(src) = inputs[i] else { continue };
                match mark[src.node] {
                    Mark::New => {
                        mark[src.node] = Mark::Active;
                        path.push((src.node, 0));
                    }
                    Mark::Active => {
                        acyclic = false;
                        let from = path.iter().position(|(n, _)| *n == src.node).unwrap_or(0);
                        let mut names: Vec<&str> = path[from..]
                            .iter()
                            .map(|(n, _)| graph.nodes[*n].id.as_str())
                            .collect();
                        // The path runs from consumers to their inputs; data flows the other way.
                        names.reverse();
                        names.push(names[0]);
                        out.push(
                            Diagnostic::error(
                                Code::Cycle,
                                format!("These blocks feed into each other in a loop ({}); a value cannot depend on itself. Remove one connection.", names.join(" → ")),
                            )
                            .on_node(&graph.nodes[src.node].id),
                        );
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                path.pop();
            }
        }
    }
    acyclic
}

fn check_actions(graph: &Graph, out: &mut Vec<Diagnostic>) {
    let has = |k| graph.of_kind(k).next().is_some();
    if !has(BlockKind::EnterLong) && !has(BlockKind::EnterShort) {
        out.push(Diagnostic::error(
            Code::NoEntry,
            "The strategy never opens a position: add a 'Buy (enter long)' or 'Sell short (enter short)' block and connect a condition to it.",
        ));
    }
    for (exit, entry, side) in [
        (BlockKind::ExitLong, BlockKind::EnterLong, "long"),
        (BlockKind::ExitShort, BlockKind::EnterShort, "short"),
    ] {
        if has(entry) {
            continue;
        }
        for i in graph.of_kind(exit) {
            out.push(
                Diagnostic::error(
                    Code::ExitWithoutEntry,
                    format!("This exit closes {side} positions, but nothing opens one: add an 'enter {side}' block or remove this exit."),
                )
                .on_node(&graph.nodes[i].id),
            );
        }
    }
}

fn check_risk(graph: &Graph, out: &mut Vec<Diagnostic>) {
    for &kind in BlockKind::ALL.iter().filter(|k| k.is_risk()) {
        let nodes: Vec<usize> = graph.of_kind(kind).collect();
        for &extra in nodes.iter().skip(1) {
            out.push(
                Diagnostic::error(
                    Code::ConflictingRisk,
                    format!(
                        "The strategy has more than one '{}' block (\"{}\" and \"{}\"); they would contradict each other. Keep one.",
                        catalogue::spec(kind).name,
                        graph.nodes[nodes[0]].id,
                        graph.nodes[extra].id
                    ),
                )
                .on_node(&graph.nodes[extra].id),
            );
        }
    }
    let has_stop = graph.of_kind(BlockKind::StopLoss).next().is_some();
    if has_stop {
        return;
    }
    for i in graph.of_kind(BlockKind::PositionSize) {
        if graph.nodes[i].params.choice("mode") == "risk_percent" {
            out.push(
                Diagnostic::error(Code::SizingNeedsStop, "Sizing by 'risk %' needs a stop loss to know how much a trade risks; add a 'Stop loss' block or choose another mode.")
                    .on_node(&graph.nodes[i].id)
                    .on_param("mode"),
            );
        }
    }
    for i in graph.of_kind(BlockKind::TakeProfit) {
        if graph.nodes[i].params.choice("mode") == "reward_risk" {
            out.push(
                Diagnostic::error(Code::TargetNeedsStop, "A reward/risk target is a multiple of the stop-loss distance, so it needs a 'Stop loss' block; add one or choose another mode.")
                    .on_node(&graph.nodes[i].id)
                    .on_param("mode"),
            );
        }
    }
}

fn check_higher_timeframes(graph: &Graph, out: &mut Vec<Diagnostic>) {
    for outer in graph.of_kind(BlockKind::HigherTimeframe) {
        let inputs = graph.nodes[outer].inputs.iter().flatten().map(|s| s.node);
        let upstream = graph.upstream_of(inputs);
        for inner in graph
            .of_kind(BlockKind::HigherTimeframe)
            .filter(|&i| upstream[i])
        {
            out.push(
                Diagnostic::error(
                    Code::NestedHigherTimeframe,
                    format!(
                        "This higher-timeframe block feeds another one (\"{}\"). Connect the indicator to a single higher-timeframe block instead.",
                        graph.nodes[outer].id
                    ),
                )
                .on_node(&graph.nodes[inner].id),
            );
        }
    }
}

/// Warns about blocks that lead to no action. Every edge of the document counts here, even
/// one with an error of its own, so a miswired block is not also called unused.
fn check_unused(
    doc: &StrategyDocument,
    ids: &HashMap<&str, usize>,
    graph: &Graph,
    out: &mut Vec<Diagnostic>,
) {
    let mut feeds: Vec<Vec<usize>> = vec![Vec::new(); graph.nodes.len()];
    for e in &doc.edges {
        if let (Some(&from), Some(&to)) =
            (ids.get(e.from.node.as_str()), ids.get(e.to.node.as_str()))
        {
            feeds[to].push(from);
        }
    }
    let mut used = vec![false; graph.nodes.len()];
    let mut stack: Vec<usize> = graph
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.kind().is_some_and(BlockKind::is_action))
        .map(|(i, _)| i)
        .collect();
    while let Some(i) = stack.pop() {
        if !std::mem::replace(&mut used[i], true) {
            stack.extend(&feeds[i]);
        }
    }
    for (node, used) in graph.nodes.iter().zip(used) {
        let Some(kind) = node.kind() else { continue };
        if !used && !kind.is_risk() {
            out.push(
                Diagnostic::warning(
                    Code::UnusedBlock,
                    format!(
                        "{} does not lead to any buy or sell block, so it has no effect on trades.",
                        node.display_start()
                    ),
                )
                .on_node(&node.id),
            );
        }
    }
}
