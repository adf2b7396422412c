//! Closed sets of values stored as TEXT (checked by the schema's CHECK constraints).

use crate::StoreError;

macro_rules! text_enum {
    (
        $(#[$meta:meta])* $name:ident, $what:literal {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored (and serialised) text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = StoreError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(StoreError::Invalid(format!(
                        concat!("unknown ", $what, " {:?} (expected one of: {})"),
                        other,
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }
    };
}

text_enum!(
    /// What a user may do.
    Role, "role" {
        /// Builds and tests strategies (everyone starts here).
        Builder => "builder",
        /// Shares templates with cohorts.
        Educator => "educator",
        /// Operates the service.
        Admin => "admin",
    }
);

text_enum!(
    /// The subscription plan; its limits are rows of `subscription_plans`.
    PlanTier, "plan" {
        Free => "free",
        Premium => "premium",
        Educator => "educator",
    }
);

text_enum!(
    /// Where a strategy is in its life.
    StrategyStatus, "strategy status" {
        Draft => "draft",
        Active => "active",
        /// Hidden from lists unless asked for explicitly.
        Archived => "archived",
    }
);

text_enum!(
    /// Who may see a strategy.
    Visibility, "visibility" {
        /// The owner only.
        Private => "private",
        /// The owner's cohort. Until cohorts exist this behaves like `Private`.
        Cohort => "cohort",
        /// Everyone, signed in or not.
        Public => "public",
    }
);

/// Parses a TEXT column into one of the enums above.
pub(crate) fn parse_col<T>(what: &str, text: &str) -> Result<T, StoreError>
where
    T: std::str::FromStr<Err = StoreError>,
{
    text.parse().map_err(|_| crate::error::corrupt(what, text))
}

text_enum!(
    /// Where a backtest or sweep run is. `Queued` and `Running` are live; the other three are
    /// final and never change again.
    RunStatus, "run status" {
        Queued => "queued",
        Running => "running",
        Succeeded => "succeeded",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);

impl RunStatus {
    /// Succeeded, failed or cancelled: the run will not change again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RunStatus::Succeeded | RunStatus::Failed | RunStatus::Cancelled
        )
    }
}

text_enum!(
    /// What a run computes.
    RunKind, "run kind" {
        /// One backtest of one strategy version.
        Backtest => "backtest",
        /// A grid of parameter combinations of one strategy version.
        Sweep => "sweep",
        /// The robustness lab on one strategy version: walk-forward, holdout, Monte Carlo
        /// and the overfitting statistics of a sweep.
        Robustness => "robustness",
    }
);

text_enum!(
    /// Where a template is: waiting for its review, published (in the gallery), rejected by
    /// a reviewer, taken down after publication, or replaced by a newer published version.
    TemplateStatus, "template status" {
        PendingReview => "pending_review",
        Published => "published",
        Rejected => "rejected",
        TakenDown => "taken_down",
        Superseded => "superseded",
    }
);

text_enum!(
    /// Who a template is published to.
    Audience, "audience" {
        /// The members of the educator's cohort.
        Cohort => "cohort",
        /// Everyone, after a compliance review.
        Public => "public",
    }
);

text_enum!(
    /// Where a compliance event is. `Open` and `Escalated` wait for a decision.
    ComplianceStatus, "compliance status" {
        Open => "open",
        Approved => "approved",
        Rejected => "rejected",
        /// Passed to an admin.
        Escalated => "escalated",
    }
);

text_enum!(
    /// What a compliance event is about.
    ComplianceEventType, "compliance event type" {
        Disclosure => "disclosure",
        /// A publication to the public, checked by the machine gates, then a reviewer.
        RiskReview => "risk_review",
        /// A reviewer hid a published template.
        Takedown => "takedown",
        Audit => "audit",
    }
);

text_enum!(
    /// The kind of thing a compliance event concerns.
    ComplianceEntity, "compliance entity" {
        Strategy => "strategy",
        Template => "template",
        Cohort => "cohort",
        Notification => "notification",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_matches_serde() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), *r);
            assert_eq!(
                serde_json::to_string(r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        for p in PlanTier::ALL {
            assert_eq!(p.as_str().parse::<PlanTier>().unwrap(), *p);
        }
        for s in StrategyStatus::ALL {
            assert_eq!(s.as_str().parse::<StrategyStatus>().unwrap(), *s);
        }
        for v in Visibility::ALL {
            assert_eq!(v.as_str().parse::<Visibility>().unwrap(), *v);
        }
        let err = "root".parse::<Role>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid input: unknown role \"root\" (expected one of: builder, educator, admin)"
        );
    }
}
