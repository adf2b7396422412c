//! Documentation-only mirrors of types owned by other crates (the store's enums, the
//! validator's diagnostics), so the OpenAPI spec names them. Fields use them through
//! `#[schema(value_type = ...)]`; the tests below keep each mirror equal to its original.

#![allow(dead_code)]

use utoipa::ToSchema;

/// What a user may do.
#[derive(Debug, ToSchema)]
#[schema(as = Role, rename_all = "snake_case")]
pub enum RoleSchema {
    Builder,
    Educator,
    Admin,
}

/// The subscription plan.
#[derive(Debug, ToSchema)]
#[schema(as = PlanTier, rename_all = "snake_case")]
pub enum PlanTierSchema {
    Free,
    Premium,
    Educator,
}

/// Where a strategy is in its life: `draft` (being built; also any strategy whose latest
/// version has errors), `active`, `archived` (hidden from lists unless asked for).
#[derive(Debug, ToSchema)]
#[schema(as = StrategyStatus, rename_all = "snake_case")]
pub enum StrategyStatusSchema {
    Draft,
    Active,
    Archived,
}

/// Who may see a strategy: `private` (the owner), `cohort` (the owner's cohort; the owner
/// only until cohorts exist), `public` (everyone, signed in or not).
#[derive(Debug, ToSchema)]
#[schema(as = Visibility, rename_all = "snake_case")]
pub enum VisibilitySchema {
    Private,
    Cohort,
    Public,
}

/// How bad a diagnostic is.
#[derive(Debug, ToSchema)]
#[schema(as = Severity, rename_all = "snake_case")]
pub enum SeveritySchema {
    /// The strategy cannot run until this is fixed.
    Error,
    /// The strategy runs, but this is probably not what the user meant.
    Warning,
}

/// One problem in a strategy graph, tied to the block (and port or parameter) that has it.
#[derive(Debug, ToSchema)]
#[schema(as = Diagnostic)]
pub struct DiagnosticSchema {
    /// Stable machine code, e.g. `missing_input`, `param_out_of_range`.
    #[schema(example = "missing_input")]
    pub code: String,
    #[schema(value_type = SeveritySchema)]
    pub severity: SeveritySchema,
    /// The block's node id; absent for whole-strategy problems.
    pub node: Option<String>,
    pub port: Option<String>,
    pub param: Option<String>,
    /// A sentence a non-programmer understands.
    pub message: String,
}

/// A strategy document: the current format (schema version 2), or the first prototype's
/// (version 1), which is migrated on reading.
#[derive(Debug, ToSchema, serde::Deserialize)]
#[serde(untagged)]
#[schema(as = StrategyGraph)]
pub enum StrategyGraphSchema {
    Current(StrategyDocumentSchema),
    Prototype(StrategyDocumentV1Schema),
}

/// A strategy document (schema version 2). Unknown fields are refused; unknown block kinds
/// and bad parameters are diagnostics.
#[derive(Debug, ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(as = StrategyDocument)]
pub struct StrategyDocumentSchema {
    /// The format's version: 2.
    #[schema(minimum = 2, maximum = 2, example = 2)]
    pub schema_version: u32,
    pub name: String,
    pub description: Option<String>,
    pub nodes: Vec<NodeSchema>,
    pub edges: Option<Vec<EdgeSchema>>,
}

/// A block on the canvas.
#[derive(Debug, ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(as = StrategyNode)]
pub struct NodeSchema {
    /// Unique within the document.
    pub id: String,
    /// The block's wire name from `GET /api/v1/blocks`, e.g. `sma`.
    pub kind: String,
    /// Parameter values by name (numbers, strings or booleans as the block asks).
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub params: Option<serde_json::Value>,
    pub position: Option<PositionSchema>,
    pub label: Option<String>,
}

/// Where a block sits on the canvas.
#[derive(Debug, ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(as = StrategyPosition)]
pub struct PositionSchema {
    pub x: f64,
    pub y: f64,
}

/// A wire from an output port to an input port.
#[derive(Debug, ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(as = StrategyEdge)]
pub struct EdgeSchema {
    pub from: PortRefSchema,
    pub to: PortRefSchema,
}

/// One end of a wire.
#[derive(Debug, ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(as = StrategyPortRef)]
pub struct PortRefSchema {
    pub node: String,
    pub port: String,
}

/// The first prototype's document (schema version 1): `blocks` with `type` and flat `x`/`y`,
/// and `links` as `"node.port"` strings. Migrated to version 2 on reading, so `nodes` and
/// `edges` given here are replaced.
#[derive(Debug, ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(as = StrategyDocumentV1)]
pub struct StrategyDocumentV1Schema {
    /// The format's version: 1.
    #[schema(minimum = 1, maximum = 1)]
    pub schema_version: u32,
    pub name: String,
    pub description: Option<String>,
    pub blocks: Option<Vec<BlockV1Schema>>,
    pub links: Option<Vec<LinkV1Schema>>,
    /// Replaced by the migration.
    pub nodes: Option<serde_json::Value>,
    /// Replaced by the migration.
    pub edges: Option<serde_json::Value>,
}

/// A version 1 block.
#[derive(Debug, ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[schema(as = StrategyBlockV1)]
pub struct BlockV1Schema {
    pub id: String,
    /// The block's wire name, as `kind` in version 2.
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub params: Option<serde_json::Value>,
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub label: Option<String>,
}

/// A version 1 link between `"node.port"` ends.
#[derive(Debug, ToSchema, serde::Deserialize)]
#[schema(as = StrategyLinkV1)]
pub struct LinkV1Schema {
    #[schema(pattern = r"\.")]
    pub from: String,
    #[schema(pattern = r"\.")]
    pub to: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use bb_store::{PlanTier, Role, StrategyStatus, Visibility};
    use utoipa::PartialSchema;

    fn values<T: PartialSchema>() -> Vec<String> {
        let json = serde_json::to_value(T::schema()).unwrap();
        json["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("no enum in {json}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    }

    fn names<T: Copy>(all: &[T], as_str: fn(T) -> &'static str) -> Vec<String> {
        all.iter().map(|v| as_str(*v).to_string()).collect()
    }

    #[test]
    fn mirrors_match_the_store() {
        assert_eq!(values::<RoleSchema>(), names(Role::ALL, Role::as_str));
        assert_eq!(
            values::<PlanTierSchema>(),
            names(PlanTier::ALL, PlanTier::as_str)
        );
        assert_eq!(
            values::<StrategyStatusSchema>(),
            names(StrategyStatus::ALL, StrategyStatus::as_str)
        );
        assert_eq!(
            values::<VisibilitySchema>(),
            names(Visibility::ALL, Visibility::as_str)
        );
    }

    /// Every field a real document has is in the mirror, and the mirror has no field the
    /// document type lacks (a starter strategy, re-serialised, is the witness).
    #[test]
    fn document_mirror_matches_the_language() {
        fn properties<T: PartialSchema>() -> Vec<String> {
            let json = serde_json::to_value(T::schema()).unwrap();
            let mut keys: Vec<String> = json["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("no properties in {json}"))
                .keys()
                .cloned()
                .collect();
            keys.sort();
            keys
        }
        let text = include_str!("../../../../strategies/sma_crossover.json");
        let mut doc = bb_strategy::StrategyDocument::from_json(text).unwrap();
        doc.description = "described".to_string();
        doc.nodes[0].label = Some("labelled".to_string());
        doc.nodes[0]
            .params
            .insert("period".to_string(), serde_json::json!(3));
        let value = serde_json::to_value(&doc).unwrap();
        let keys = |v: &serde_json::Value| {
            let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(keys(&value), properties::<StrategyDocumentSchema>());
        assert_eq!(keys(&value["nodes"][0]), properties::<NodeSchema>());
        assert_eq!(
            keys(&value["nodes"][0]["position"]),
            properties::<PositionSchema>()
        );
        assert_eq!(keys(&value["edges"][0]), properties::<EdgeSchema>());
        assert_eq!(
            keys(&value["edges"][0]["from"]),
            properties::<PortRefSchema>()
        );
    }

    #[test]
    fn severity_mirror_matches_the_validator() {
        let wire = [bb_strategy::Severity::Error, bb_strategy::Severity::Warning]
            .iter()
            .map(|s| {
                serde_json::to_value(s)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect::<Vec<_>>();
        assert_eq!(values::<SeveritySchema>(), wire);
    }
}
