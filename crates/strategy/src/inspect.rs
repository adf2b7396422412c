//! Every block's output on every bar, aligned to the data's bars and labelled
//! `node.port` — the data behind "why did (or didn't) this rule fire on this bar".

use bb_domain::Candles;

use crate::evaluate::Evaluation;
use crate::ops;
use crate::plan::{Context, Plan};
use crate::series::Series;

/// One labelled column of per-bar values.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// `node.port`, with `@<timeframe>` for values computed on a higher timeframe.
    pub name: String,
    /// The block's id (`signal` for the four action signals).
    pub node: String,
    /// The output port (the action's name for a signal).
    pub port: String,
    pub values: Series,
}

impl Evaluation {
    /// Each node output kept by the evaluation (use [`Plan::evaluate_all`] for all of them)
    /// as a column over `candles` (the bars the plan was evaluated on),
    /// in document order, then the four action signals. Values computed on a higher
    /// timeframe are shown on the base bars where they are visible (last closed higher bar).
    pub fn columns(&self, plan: &Plan, candles: &Candles) -> Vec<Column> {
        let base_ms = plan
            .base_timeframe
            .or_else(|| candles.timeframe())
            .map_or(0, |t| t.millis());
        let mut out = Vec::new();
        for node in &plan.nodes {
            let step = &plan.steps[node.step];
            // Only what the evaluation kept (all of it after `Plan::evaluate_all`).
            let Some(kept) = self.outputs[node.step].as_deref() else {
                continue;
            };
            for (k, port) in node.ports.iter().enumerate().take(step.outputs) {
                let Some(series) = kept.get(k) else { continue };
                let (name, values) = match step.context {
                    Context::Base => (format!("{}.{port}", node.node), series.clone()),
                    Context::Higher(tf) => {
                        let bars = self
                            .higher_bars
                            .iter()
                            .find(|(t, _)| *t == tf)
                            .map(|(_, ts)| ts.as_slice())
                            .unwrap_or(&[]);
                        let mapped = ops::last_closed(
                            &candles.ts,
                            base_ms,
                            bars,
                            tf.millis(),
                            &series.numbers(),
                        );
                        (format!("{}.{port}@{tf}", node.node), Series::Number(mapped))
                    }
                };
                out.push(Column {
                    name,
                    node: node.node.clone(),
                    port: port.to_string(),
                    values,
                });
            }
        }
        let s = &self.signals;
        for (name, v) in [
            ("enter_long", &s.enter_long),
            ("exit_long", &s.exit_long),
            ("enter_short", &s.enter_short),
            ("exit_short", &s.exit_short),
        ] {
            out.push(Column {
                name: format!("signal.{name}"),
                node: "signal".into(),
                port: name.into(),
                values: Series::Boolean(v.clone()),
            });
        }
        out
    }
}
