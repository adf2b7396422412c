//! Compilation: a validated graph becomes an immutable [`Plan`]: steps in topological
//! order, identical sub-expressions merged, higher-timeframe contexts resolved, warm-up
//! computed and checked against the data.

use std::collections::{HashMap, HashSet};

use bb_domain::{RiskRules, Sizing, StopRule, TargetRule, Timeframe, TrailingRule};

use crate::catalogue::BlockKind;
use crate::diagnostic::{Code, Diagnostic};
use crate::graph::{Graph, GraphNode};
use crate::limits::Keep;
use crate::plan::*;
use crate::validate::Validated;
use crate::warmup;

/// What compilation knows about the data the plan will run on.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CompileOptions {
    /// The data's bar duration; needed to check and size higher-timeframe inputs.
    pub base_timeframe: Option<Timeframe>,
    /// Number of bars in the data; warm-up longer than this is an error.
    pub bar_count: Option<usize>,
}

/// Compiles a validated graph. Fails with every error when the graph has errors or does not
/// fit the data.
pub fn compile(validated: &Validated, options: &CompileOptions) -> Result<Plan, Vec<Diagnostic>> {
    let (errors, warnings): (Vec<_>, Vec<_>) = validated
        .diagnostics
        .iter()
        .cloned()
        .partition(Diagnostic::is_error);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut c = Compiler {
        graph: &validated.graph,
        options,
        steps: Vec::new(),
        memo: HashMap::new(),
        dedupe: HashMap::new(),
        errors: Vec::new(),
        node_steps: HashMap::new(),
        failed: HashSet::new(),
    };
    let g = &validated.graph;
    let mut actions: [Vec<Slot>; 4] = Default::default();
    for (i, node) in g.nodes.iter().enumerate() {
        let which = match node.kind() {
            Some(BlockKind::EnterLong) => 0,
            Some(BlockKind::ExitLong) => 1,
            Some(BlockKind::EnterShort) => 2,
            Some(BlockKind::ExitShort) => 3,
            _ => continue,
        };
        if let Some(src) = node.inputs[0] {
            let step = c.lower(src.node, Context::Base);
            if let Some(step) = step {
                actions[which].push(Slot {
                    step,
                    output: src.output,
                });
            }
        }
        let _ = i;
    }
    // Blocks that feed no action are still evaluated (base context) so the inspector shows them.
    for (i, node) in g.nodes.iter().enumerate() {
        let kind = node.kind();
        if !c.node_steps.contains_key(&i) && kind.is_some_and(|k| !k.is_action() && !k.is_risk()) {
            c.lower(i, Context::Base);
        }
    }
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    let warmup_bars = actions
        .iter()
        .flatten()
        .map(|s| c.steps[s.step].warmup[s.output])
        .max()
        .unwrap_or(0);
    if let Some(bars) = options.bar_count
        && warmup_bars >= bars
    {
        let culprit = c.culprit(actions.iter().flatten().copied());
        return Err(vec![Diagnostic::error(
            Code::WarmupExceedsData,
            format!(
                "The strategy needs {warmup_bars} bars before it can make its first decision ({} alone needs {} bars), but the data has only {bars} bars. Use more data or shorter periods.",
                g.nodes[culprit.0].display(),
                culprit.1
            ),
        )
        .on_node(&g.nodes[culprit.0].id)]);
    }
    let mut placed: Vec<(usize, usize)> = c
        .node_steps
        .iter()
        .flat_map(|(&node, steps)| steps.iter().map(move |&step| (node, step)))
        .collect();
    placed.sort_unstable();
    let nodes: Vec<NodeOutputs> = placed
        .into_iter()
        .map(|(node, step)| NodeOutputs {
            node: g.nodes[node].id.clone(),
            step,
            ports: g.nodes[node]
                .spec
                .map(|s| s.outputs.iter().map(|p| p.name).collect())
                .unwrap_or_default(),
        })
        .collect();
    let [enter_long, exit_long, enter_short, exit_short] = actions;
    let plan = Plan {
        steps: c.steps,
        enter_long,
        exit_long,
        enter_short,
        exit_short,
        risk: risk_rules(g),
        warmup_bars,
        nodes,
        base_timeframe: options.base_timeframe,
        warnings,
    };
    if let Some(bars) = options.bar_count
        && let Some(message) = plan.check_budget(bars, Keep::Signals)
    {
        return Err(vec![Diagnostic::error(Code::EvaluationTooLarge, message)]);
    }
    Ok(plan)
}

struct Compiler<'a> {
    graph: &'a Graph,
    options: &'a CompileOptions,
    steps: Vec<Step>,
    memo: HashMap<(usize, Context), usize>,
    /// Structural key (see [`Step::key`]) → step, to merge identical sub-expressions.
    dedupe: HashMap<String, usize>,
    errors: Vec<Diagnostic>,
    node_steps: HashMap<usize, Vec<usize>>,
    /// Nodes (in a context) that cannot be lowered; their error is reported once.
    failed: HashSet<(usize, Context)>,
}

impl Compiler<'_> {
    /// The step computing `node` in `context`, lowering its inputs first. Iterative (an
    /// explicit stack, depth-first over inputs), so a chain of any length lowers without
    /// growing the call stack; the graph is acyclic (validated), so it ends.
    fn lower(&mut self, node: usize, context: Context) -> Option<usize> {
        // (node, context, the node's op once its inputs have been scheduled)
        let mut stack: Vec<(usize, Context, Option<Op>)> = vec![(node, context, None)];
        while let Some((at, ctx, op)) = stack.pop() {
            if self.memo.contains_key(&(at, ctx)) || self.failed.contains(&(at, ctx)) {
                continue;
            }
            let n = &self.graph.nodes[at];
            let Some(op) = op.or_else(|| self.op(n, ctx)) else {
                self.failed.insert((at, ctx));
                continue;
            };
            let input_context = match op {
                Op::HigherTimeframe(tf) => Context::Higher(tf),
                _ => ctx,
            };
            let missing: Vec<usize> = n
                .inputs
                .iter()
                .flatten()
                .map(|src| src.node)
                .filter(|&i| !self.memo.contains_key(&(i, input_context)))
                .collect();
            if missing
                .iter()
                .any(|&i| self.failed.contains(&(i, input_context)))
            {
                self.failed.insert((at, ctx));
                continue;
            }
            if !missing.is_empty() {
                stack.push((at, ctx, Some(op)));
                // Reversed, so the first input is lowered first (stable step order).
                stack.extend(missing.into_iter().rev().map(|i| (i, input_context, None)));
                continue;
            }
            let inputs: Vec<Slot> = n
                .inputs
                .iter()
                .flatten()
                .map(|src| Slot {
                    step: self.memo[&(src.node, input_context)],
                    output: src.output,
                })
                .collect();
            let step = self.add_step(at, op, ctx, inputs);
            self.memo.insert((at, ctx), step);
            self.node_steps.entry(at).or_default().push(step);
        }
        self.memo.get(&(node, context)).copied()
    }

    /// The step for `op` over `inputs`, merged with an existing step of the same key.
    fn add_step(&mut self, node: usize, op: Op, context: Context, inputs: Vec<Slot>) -> usize {
        let key = step_key(&op, context, &inputs, &self.steps);
        if let Some(&existing) = self.dedupe.get(&key) {
            return existing;
        }
        let outputs = self.graph.nodes[node].spec.map_or(1, |s| s.outputs.len());
        let own = warmup::own_warmup(&op, outputs);
        let upstream = inputs
            .iter()
            .map(|s| self.steps[s.step].warmup[s.output])
            .max()
            .unwrap_or(0);
        let warmup = own
            .iter()
            .map(|w| match op {
                Op::HigherTimeframe(tf) => self.higher_warmup(tf, upstream),
                _ => w.saturating_add(upstream),
            })
            .collect();
        self.steps.push(Step {
            op,
            inputs,
            context,
            outputs,
            warmup,
            key: key.clone(),
        });
        self.dedupe.insert(key, self.steps.len() - 1);
        self.steps.len() - 1
    }

    /// Warm-up in base bars of a value computed on `tf` bars with `upstream` warm-up there:
    /// the first usable higher bar closes after (upstream + 1) higher bars, plus at most one
    /// more for a leading partial bar.
    fn higher_warmup(&self, tf: Timeframe, upstream: usize) -> usize {
        let ratio = self
            .options
            .base_timeframe
            .map_or(1, |b| (tf.minutes() / b.minutes().max(1)).max(1) as usize);
        upstream.saturating_add(2).saturating_mul(ratio) - 1
    }

    fn op(&mut self, n: &GraphNode, context: Context) -> Option<Op> {
        let kind = n.kind()?;
        let p = &n.params;
        if kind == BlockKind::HigherTimeframe {
            let text = p.choice("timeframe");
            let Ok(tf) = text.parse::<Timeframe>() else {
                self.errors.push(
                    Diagnostic::error(
                        Code::UnknownTimeframe,
                        format!("\"{text}\" is not a timeframe."),
                    )
                    .on_node(&n.id)
                    .on_param("timeframe"),
                );
                return None;
            };
            if context != Context::Base {
                return None; // nested: reported by the validator
            }
            if let Some(base) = self.options.base_timeframe
                && (tf <= base || !tf.is_multiple_of(base))
            {
                self.errors.push(
                    Diagnostic::error(
                        Code::TimeframeNotHigher,
                        format!("The data has {base} bars, so this block's timeframe must be a larger multiple of {base}; {tf} is not."),
                    )
                    .on_node(&n.id)
                    .on_param("timeframe"),
                );
                return None;
            }
            return Some(Op::HigherTimeframe(tf));
        }
        Some(crate::lower::op_for(kind, p))
    }

    /// The node most responsible for the longest warm-up feeding `slots`: follow the input
    /// with the longest warm-up and keep the node whose own warm-up is largest. Returns the
    /// node and its own warm-up.
    fn culprit(&self, slots: impl Iterator<Item = Slot>) -> (usize, usize) {
        let step_node: HashMap<usize, usize> = self
            .node_steps
            .iter()
            .flat_map(|(&n, s)| s.iter().map(move |&s| (s, n)))
            .collect();
        let mut slot = slots.max_by_key(|s| self.steps[s.step].warmup[s.output]);
        let mut best = (0usize, 0usize);
        while let Some(s) = slot {
            let step = &self.steps[s.step];
            let upstream = step
                .inputs
                .iter()
                .map(|i| self.steps[i.step].warmup[i.output])
                .max()
                .unwrap_or(0);
            let own = step.warmup[s.output].saturating_sub(upstream);
            if own > best.1 {
                best = (step_node.get(&s.step).copied().unwrap_or(0), own);
            }
            slot = step
                .inputs
                .iter()
                .copied()
                .max_by_key(|i| self.steps[i.step].warmup[i.output]);
        }
        best
    }
}

fn risk_rules(g: &Graph) -> RiskRules {
    let mut rules = RiskRules::default();
    let first = |k| g.of_kind(k).next().map(|i| &g.nodes[i].params);
    if let Some(p) = first(BlockKind::PositionSize) {
        rules.sizing = match p.choice("mode") {
            "fixed_amount" => Sizing::FixedQuote {
                amount: p.f64("amount"),
            },
            "risk_percent" => Sizing::RiskPercent {
                percent: p.f64("percent"),
            },
            _ => Sizing::PercentOfEquity {
                percent: p.f64("percent"),
            },
        };
    }
    if let Some(p) = first(BlockKind::StopLoss) {
        rules.stop_loss = Some(match p.choice("mode") {
            "atr" => StopRule::Atr {
                period: p.usize("atr_period"),
                multiple: p.f64("atr_multiple"),
            },
            _ => StopRule::Percent {
                percent: p.f64("percent"),
            },
        });
    }
    if let Some(p) = first(BlockKind::TakeProfit) {
        rules.take_profit = Some(match p.choice("mode") {
            "atr" => TargetRule::Atr {
                period: p.usize("atr_period"),
                multiple: p.f64("atr_multiple"),
            },
            "reward_risk" => TargetRule::RewardRisk {
                ratio: p.f64("ratio"),
            },
            _ => TargetRule::Percent {
                percent: p.f64("percent"),
            },
        });
    }
    if let Some(p) = first(BlockKind::TrailingStop) {
        rules.trailing_stop = Some(match p.choice("mode") {
            "atr" => TrailingRule::Atr {
                period: p.usize("atr_period"),
                multiple: p.f64("atr_multiple"),
            },
            _ => TrailingRule::Percent {
                percent: p.f64("percent"),
            },
        });
    }
    if let Some(p) = first(BlockKind::TimeStop) {
        rules.time_stop_bars = Some(u32::try_from(p.usize("bars")).unwrap_or(u32::MAX));
    }
    if let Some(p) = first(BlockKind::BreakEven) {
        rules.break_even_after_pct = Some(p.f64("after_percent"));
    }
    rules
}

/// A step's structural key: its operation, context and its inputs' keys. Inputs are named
/// by a 128-bit digest of their own key, so a key has a bounded length however deep the
/// graph (spelling inputs out in full would make a chain's keys quadratic in its length),
/// and equal keys still mean equal computations, in this plan or any other.
fn step_key(op: &Op, context: Context, inputs: &[Slot], steps: &[Step]) -> String {
    use std::fmt::Write;
    let mut key = format!("{op:?}@{context:?}(");
    for (k, slot) in inputs.iter().enumerate() {
        let sep = if k == 0 { "" } else { ", " };
        let _ = write!(
            key,
            "{sep}{:032x}.{}",
            digest(&steps[slot.step].key),
            slot.output
        );
    }
    key.push(')');
    key
}

/// FNV-1a, 128 bits: deterministic (the pure core uses no randomness), and a collision
/// between two of a plan's few thousand keys is vanishingly unlikely.
fn digest(text: &str) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    text.bytes()
        .fold(OFFSET, |h, b| (h ^ u128::from(b)).wrapping_mul(PRIME))
}
