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
