//! An alert: the seed's model (`symbol`, `alert_type`, `trigger_price`, `trigger_time`,
//! `conditions`, `metadata`) plus the screen and version that produced it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::event::Nanos;

/// What kind of screen fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertType {
    /// The price is up at least the threshold from the previous session's close (pre-market
    /// included); once per symbol and session.
    GapUp,
    /// The price is down at least the threshold from the previous session's close.
    GapDown,
    /// A closed one-minute bar traded a multiple of its baseline volume.
    VolumeSpike,
    /// A trade above the session's high so far.
    NewHigh,
    /// A trade below the session's low so far.
    NewLow,
    /// The relative spread widened to a multiple of its running baseline.
    SpreadBlowout,
    /// A block-graph screen's condition held on a closed bar.
    BlockScreen,
}

impl AlertType {
    pub const ALL: [AlertType; 7] = [
        AlertType::GapUp,
        AlertType::GapDown,
        AlertType::VolumeSpike,
        AlertType::NewHigh,
        AlertType::NewLow,
        AlertType::SpreadBlowout,
        AlertType::BlockScreen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertType::GapUp => "gap_up",
            AlertType::GapDown => "gap_down",
            AlertType::VolumeSpike => "volume_spike",
            AlertType::NewHigh => "new_high",
            AlertType::NewLow => "new_low",
            AlertType::SpreadBlowout => "spread_blowout",
            AlertType::BlockScreen => "block_screen",
        }
    }

    pub fn parse(text: &str) -> Option<AlertType> {
        AlertType::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// Its position in per-type arrays.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for AlertType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The numbers that made a screen fire. Only those of its kind are present.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conditions {
    /// Percent move from the previous close (gaps, and every alert when the close is known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pct_move: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_close: Option<f64>,
    /// The bar's volume and the baseline it was compared with (volume spikes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_volume: Option<f64>,
    /// "time_of_day" (the same half hour of earlier sessions) or "recent_bars".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// The session's high or low before this trade (new highs and lows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_extreme: Option<f64>,
    /// Relative spread in basis points, and its baseline (spread blow-outs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread_bps: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_spread_bps: Option<f64>,
    /// How many times the baseline (volume spikes, spread blow-outs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiple: Option<f64>,
    /// The threshold the screen used, in its own unit (percent, multiple or minutes).
    pub threshold: f64,
}

/// The top of the book when the alert fired.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuoteMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread: Option<f64>,
}

/// One alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alert {
    pub symbol: String,
    pub alert_type: AlertType,
    pub trigger_price: f64,
    /// When the triggering event happened, in nanoseconds since the epoch.
    pub trigger_time: Nanos,
    pub conditions: Conditions,
    pub metadata: QuoteMeta,
    /// The screen: a built-in's name (`gap_up`, …) or a block screen's id.
    pub screen: String,
    /// The screen's version: the settings' fingerprint for built-ins, the strategy version's
    /// number for block screens.
    pub screen_version: i64,
}
