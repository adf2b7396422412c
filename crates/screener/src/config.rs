//! The built-in screens' settings, each with its default and its unit stated.

use serde::{Deserialize, Serialize};

/// Which built-in screens run, and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ScreenerConfig {
    /// Where a session day starts, in minutes after 00:00 UTC (0: the UTC day, crypto's
    /// convention; 480 for a 04:00 New York pre-market start in winter, …). In −1440..1440.
    pub session_offset_minutes: i32,
    /// An alert of the same screen for the same symbol is not repeated for this long (s).
    pub cooldown_seconds: u32,
    pub gap: Option<GapSettings>,
    pub volume_spike: Option<VolumeSpikeSettings>,
    pub high_low: Option<HighLowSettings>,
    pub spread: Option<SpreadSettings>,
}

impl Default for ScreenerConfig {
    fn default() -> Self {
        ScreenerConfig {
            session_offset_minutes: 0,
            cooldown_seconds: 300,
            gap: Some(GapSettings::default()),
            volume_spike: Some(VolumeSpikeSettings::default()),
            high_low: Some(HighLowSettings::default()),
            spread: Some(SpreadSettings::default()),
        }
    }
}

/// Gap up or down: the price at least `min_pct` percent away from the previous session's
/// last trade, once per symbol, session and direction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct GapSettings {
    /// Percent, > 0. Default 2.
    pub min_pct: f64,
}

impl Default for GapSettings {
    fn default() -> Self {
        GapSettings { min_pct: 2.0 }
    }
}

/// A closed one-minute bar whose volume is `multiple` times its baseline: the mean volume of
/// the same half hour in earlier sessions once `min_history` such minutes were seen, else the
/// mean of the last 20 bars once `min_history` bars were seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct VolumeSpikeSettings {
    /// Times the baseline, > 1. Default 3.
    pub multiple: f64,
    /// Bars the baseline needs before it is used. Default 5.
    pub min_history: u32,
    /// A bar below this volume never fires (thin symbols). Default 0.
    pub min_volume: f64,
}

impl Default for VolumeSpikeSettings {
    fn default() -> Self {
        VolumeSpikeSettings {
            multiple: 3.0,
            min_history: 5,
            min_volume: 0.0,
        }
    }
}

/// A trade above the session's high (or below its low) once the session has traded for
/// `after_minutes`: the first minutes set the range rather than break it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct HighLowSettings {
    /// Minutes after the session's first trade. Default 5.
    pub after_minutes: u32,
}

impl Default for HighLowSettings {
    fn default() -> Self {
        HighLowSettings { after_minutes: 5 }
    }
}

/// The relative spread ((ask − bid) / mid) at `multiple` times its running baseline (an
/// exponential mean over about 100 quotes), once `min_quotes` quotes were seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SpreadSettings {
    /// Times the baseline, > 1. Default 5.
    pub multiple: f64,
    /// Quotes the baseline needs. Default 100.
    pub min_quotes: u32,
}

impl Default for SpreadSettings {
    fn default() -> Self {
        SpreadSettings {
            multiple: 5.0,
            min_quotes: 100,
        }
    }
}

impl ScreenerConfig {
    /// Every setting in range, or what is wrong, naming the field.
    pub fn check(&self) -> Result<(), String> {
        if !(-1440..1440).contains(&self.session_offset_minutes) {
            return Err("session_offset_minutes must be in -1440..1440".into());
        }
        if self.cooldown_seconds > 86_400 {
            return Err("cooldown_seconds must be at most 86400 (a day)".into());
        }
        if let Some(g) = &self.gap
            && !(g.min_pct.is_finite() && g.min_pct > 0.0 && g.min_pct <= 1000.0)
        {
            return Err("gap.min_pct must be a percentage in (0, 1000]".into());
        }
        if let Some(v) = &self.volume_spike {
            if !(v.multiple.is_finite() && v.multiple > 1.0 && v.multiple <= 1e6) {
                return Err("volume_spike.multiple must be in (1, 1000000]".into());
            }
            if v.min_history == 0 || v.min_history > 10_000 {
                return Err("volume_spike.min_history must be in 1..=10000".into());
            }
            if !(v.min_volume.is_finite() && v.min_volume >= 0.0) {
                return Err("volume_spike.min_volume must be a finite number ≥ 0".into());
            }
        }
        if let Some(h) = &self.high_low
            && h.after_minutes > 1440
        {
            return Err("high_low.after_minutes must be at most 1440".into());
        }
        if let Some(s) = &self.spread {
            if !(s.multiple.is_finite() && s.multiple > 1.0 && s.multiple <= 1e6) {
                return Err("spread.multiple must be in (1, 1000000]".into());
            }
            if s.min_quotes == 0 || s.min_quotes > 1_000_000 {
                return Err("spread.min_quotes must be in 1..=1000000".into());
            }
        }
        Ok(())
    }

    /// A short stable number for these settings: the built-in alerts' `screen_version`, so
    /// alerts made under other thresholds are told apart.
    pub fn fingerprint(&self) -> i64 {
        let text = serde_json::to_string(self).unwrap_or_default();
        // FNV-1a, 48 bits so it stays exact in JSON numbers.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in text.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        (hash & 0xffff_ffff_ffff) as i64
    }
}
