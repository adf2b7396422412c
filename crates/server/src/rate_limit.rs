//! Abuse protection for sign-up and sign-in, in memory and per process:
//! - [`RateLimiter`]: at most N register (or login) attempts per client IP per minute
//!   (fixed one-minute windows);
//! - [`LoginGuard`]: after 5 failed logins for one email from one IP, that pair is locked
//!   for 30 s, doubling with every further failure up to 15 minutes; a success clears it.
//!
//! Both answer `429 rate_limited` with `Retry-After`. With several server processes the
//! effective limits multiply; plan quotas live in the database instead.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
const FREE_FAILURES: u32 = 5;
const FIRST_LOCK: Duration = Duration::from_secs(30);
const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// Above this many entries, expired ones are dropped on the next insert.
const PRUNE_ABOVE: usize = 10_000;

/// What is being limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Register,
    Login,
    /// Password resets (asking and confirming).
    Recovery,
}

/// Attempts per client IP and minute, per scope.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<(Scope, IpAddr), Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    count: u32,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute: per_minute.max(1),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt; refuses it when the client is over the limit.
    pub fn check(&self, scope: Scope, ip: IpAddr) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, w| now.duration_since(w.started) < WINDOW);
        }
        let window = windows.entry((scope, ip)).or_insert(Window {
            started: now,
            count: 0,
        });
        if now.duration_since(window.started) >= WINDOW {
            *window = Window {
                started: now,
                count: 0,
            };
        }
        if window.count >= self.per_minute {
            let retry_after = WINDOW.saturating_sub(now.duration_since(window.started));
            return Err(ApiError::RateLimited { retry_after });
        }
        window.count += 1;
        Ok(())
    }
}

/// Failed logins per (email, IP).
#[derive(Debug, Default)]
pub struct LoginGuard {
    failures: Mutex<HashMap<(String, IpAddr), Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

impl LoginGuard {
    /// Refuses while the pair is locked.
    pub fn check(&self, email: &str, ip: IpAddr) -> Result<(), ApiError> {
        let now = Instant::now();
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match failures
            .get(&(email.to_string(), ip))
            .and_then(|f| f.locked_until)
        {
            Some(until) if until > now => Err(ApiError::RateLimited {
                retry_after: until - now,
            }),
            _ => Ok(()),
        }
    }

    pub fn failed(&self, email: &str, ip: IpAddr) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() > PRUNE_ABOVE {
            failures.retain(|_, f| now.duration_since(f.last) < MAX_LOCK);
        }
        let entry = failures.entry((email.to_string(), ip)).or_insert(Failures {
            count: 0,
            last: now,
            locked_until: None,
        });
        if now.duration_since(entry.last) >= MAX_LOCK {
            entry.count = 0;
        }
        entry.count += 1;
        entry.last = now;
        if entry.count >= FREE_FAILURES {
            let doublings = (entry.count - FREE_FAILURES).min(16);
            let lock = FIRST_LOCK.saturating_mul(1 << doublings).min(MAX_LOCK);
            entry.locked_until = Some(now + lock);
        }
    }

    pub fn succeeded(&self, email: &str, ip: IpAddr) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(&(email.to_string(), ip));
    }
}

/// The caller's IP: the socket's peer, or the last `X-Forwarded-For` entry when the server
/// is configured to trust its proxy.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ClientIp, ApiError> {
        if state.config().trust_proxy {
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|ip| ip.trim().parse::<IpAddr>().ok())
                .next_back();
            if let Some(ip) = forwarded {
                return Ok(ClientIp(ip));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(ClientIp(peer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_ip_and_scope() {
        let limiter = RateLimiter::new(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            limiter.check(Scope::Register, a).unwrap();
        }
        let e = limiter.check(Scope::Register, a).unwrap_err();
        assert_eq!(e.code(), crate::error::ErrorCode::RateLimited);
        limiter.check(Scope::Register, b).unwrap();
        limiter.check(Scope::Login, a).unwrap();
    }

    #[test]
    fn failed_logins_lock_the_pair() {
        let guard = LoginGuard::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..FREE_FAILURES - 1 {
            guard.failed("a@x.io", ip);
            guard.check("a@x.io", ip).unwrap();
        }
        guard.failed("a@x.io", ip);
        assert_eq!(
            guard.check("a@x.io", ip).unwrap_err().code(),
            crate::error::ErrorCode::RateLimited
        );
        guard.check("b@x.io", ip).unwrap();
        guard.succeeded("a@x.io", ip);
        guard.check("a@x.io", ip).unwrap();
    }
}
